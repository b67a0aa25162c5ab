"""Demo data that looks like the province's real market: Tây Ninh and Long An specialties, sold by households,
cooperatives and small enterprises, written through the same service functions as the API (so it is validated the
same way), then approved as an operator would.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from market.catalog import moderation
from market.catalog import service as catalog
from market.catalog.categories import seed_categories
from market.catalog.schemas import CertificationIn, OriginIn, PreorderIn, ProductIn, VariantIn
from market.core import clock
from market.payouts.demo import seed_payouts
from market.sellers import service as sellers
from market.sellers import status as seller_status
from market.sellers.schemas import AddressIn, OwnerIn, SellerRegistration
from market.sellers.tables import Seller

TAY_NINH = 80
DEMO_IMAGE_HOST = "img.market.example"  # placeholder images of the demo; the host is trusted by the seed only
DEMO_ACTOR = "system:demo"  # who approves the demo's sellers and products, in their history and the audit trail
DEMO_PASSWORD = "nong-san-tay-ninh-2026"  # noqa: S105 - the demo owners' password, printed by `market seed`

# (name, category, unit, unit size, price in đồng, grams, storage, shelf life days, catch weight, preorder)
Specialty = tuple[str, str, str, str, int, int, str, int, bool, bool]
SPECIALTIES: dict[str, list[Specialty]] = {
    "mang-cau": [("Mãng cầu Bà Đen", "mang-cau", "kg", "1 kg", 65_000, 1_050, "ambient", 5, True, True),
                 ("Mãng cầu dai", "mang-cau", "thùng", "thùng 5 kg", 320_000, 5_400, "ambient", 5, False, False)],
    "banh-trang": [("Bánh tráng phơi sương Trảng Bàng", "banh-trang", "túi", "500 g", 45_000, 520, "ambient", 60,
                    False, False),
                   ("Bánh tráng cuốn thịt heo", "banh-trang", "hộp", "hộp 20 cái", 55_000, 600, "ambient", 45,
                    False, False)],
    "muoi-tom": [("Muối tôm Tây Ninh", "muoi-tom", "hộp", "hộp 200 g", 35_000, 260, "ambient", 180, False, False),
                 ("Muối ớt tôm hạt to", "muoi-tom", "hộp", "hộp 500 g", 75_000, 560, "ambient", 180, False, False)],
    "nam": [("Nấm rơm", "nam", "kg", "1 kg", 90_000, 1_050, "chilled", 3, True, False)],
    "hat": [("Đậu phộng", "hat", "kg", "1 kg", 55_000, 1_020, "ambient", 120, False, False),
            ("Đậu phộng rang muối", "hat", "hộp", "hộp 300 g", 40_000, 330, "ambient", 90, False, False)],
    "cu": [("Khoai mì", "cu", "kg", "1 kg", 15_000, 1_050, "ambient", 10, True, False)],
    "trai-cay-khac": [("Mía tím", "trai-cay-khac", "bó", "bó 5 cây", 40_000, 6_000, "ambient", 7, False, False)],
    "thanh-long": [("Thanh long ruột đỏ Châu Thành", "thanh-long", "kg", "1 kg", 30_000, 1_050, "ambient", 10,
                    True, True),
                   ("Thanh long ruột trắng", "thanh-long", "thùng", "thùng 10 kg", 220_000, 10_500, "ambient", 10,
                    False, False)],
    "chanh": [("Chanh không hạt Bến Lức", "chanh", "kg", "1 kg", 25_000, 1_030, "ambient", 14, True, False)],
    "gao": [("Gạo thơm Long An", "gao", "túi", "túi 5 kg", 120_000, 5_050, "ambient", 365, False, False),
            ("Gạo nàng hoa", "gao", "túi", "túi 10 kg", 230_000, 10_100, "ambient", 365, False, False)],
    "dua-hau": [("Dưa hấu Long An", "dua-hau", "trái", "trái 2-3 kg", 35_000, 2_600, "ambient", 14, False, True)],
    "khom-dua": [("Khóm Bến Lức", "khom-dua", "trái", "1 trái", 18_000, 1_200, "ambient", 7, False, False),
                 ("Khóm sấy dẻo", "mut-say", "túi", "túi 250 g", 60_000, 270, "ambient", 120, False, False)],
}  # fmt: skip
# Products that make the search examples meaningful, added after the drawn ones (so those stay as they were):
# (seller number in SELLERS, specialty). Pineapple under its three names, fruits whose names fold together
# (dưa, dứa, dừa), a rice from another province.
EXTRA_PRODUCTS: list[tuple[int, Specialty]] = [
    (10, ("Dứa Queen Bến Lức", "khom-dua", "trái", "1 trái", 22_000, 1_100, "ambient", 7, False, False)),
    (10, ("Thơm mật Tân Phước", "khom-dua", "trái", "1 trái", 20_000, 1_200, "ambient", 7, False, False)),
    (22, ("Nước ép dứa nguyên chất", "nuoc-ep", "lít", "1 lít", 55_000, 1_100, "chilled", 10, False, False)),
    (9, ("Dưa hấu không hạt", "dua-hau", "trái", "trái 2-3 kg", 45_000, 2_600, "ambient", 14, False, False)),
    (9, ("Dưa lưới Long An", "trai-cay-khac", "trái", "trái 1,5 kg", 70_000, 1_600, "ambient", 10, False, False)),
    (18, ("Dừa xiêm xanh Tân Trụ", "trai-cay-khac", "trái", "1 trái", 15_000, 1_500, "ambient", 20, False, False)),
    (8, ("Gạo ST25 Sóc Trăng", "gao", "túi", "túi 5 kg", 180_000, 5_050, "ambient", 365, False, False)),
]  # fmt: skip
QUALIFIERS = ["loại 1", "nhà vườn", "tuyển chọn", "hữu cơ", "đặc biệt", "size lớn", "vụ mới", "quà biếu",
              "gia đình", "tươi mỗi ngày", "chuẩn xuất khẩu", "giá vườn", "túi tiết kiệm", "hộp quà"]  # fmt: skip

# (display name, kind, ward code, specialties)
SELLERS: list[tuple[str, str, int, list[str]]] = [
    ("HTX Mãng cầu Bà Đen", "cooperative", 25630, ["mang-cau", "trai-cay-khac"]),
    ("Cơ sở Bánh tráng Cô Ba Trảng Bàng", "household", 25708, ["banh-trang"]),
    ("Muối tôm Bà Tư Tây Ninh", "household", 25459, ["muoi-tom"]),
    ("HTX Nấm rơm Dương Minh Châu", "cooperative", 25552, ["nam", "cu"]),
    ("Đậu phộng Gò Dầu Anh Hai", "household", 25654, ["hat"]),
    ("HTX Thanh long Châu Thành", "cooperative", 25585, ["thanh-long"]),
    ("HTX Chanh không hạt Bến Lức", "cooperative", 27991, ["chanh"]),
    ("Công ty TNHH Gạo Long An Xanh", "enterprise", 27712, ["gao"]),
    ("Dưa hấu Cần Đước Chú Sáu", "household", 28108, ["dua-hau"]),
    ("HTX Khóm Bến Lức", "cooperative", 28015, ["khom-dua"]),
    ("Nông sản Tân Biên Chị Hạnh", "household", 25486, ["cu", "hat"]),
    ("HTX Mía đường Tân Châu", "cooperative", 25516, ["trai-cay-khac", "cu"]),
    ("Đặc sản Hòa Thành Cô Năm", "household", 25645, ["banh-trang", "muoi-tom"]),
    ("Công ty CP Nông sản Núi Bà", "enterprise", 25480, ["mang-cau", "hat", "muoi-tom"]),
    ("Vườn Mãng cầu Chà Là", "household", 25633, ["mang-cau"]),
    ("HTX Rau sạch Thủ Thừa", "cooperative", 28036, ["nam", "chanh"]),
    ("Gạo Đức Hòa Bác Bảy", "household", 27937, ["gao"]),
    ("HTX Trái cây Tân Trụ", "cooperative", 28075, ["thanh-long", "dua-hau"]),
    ("Cơ sở Sấy khô Long Hoa", "household", 25630, ["khom-dua", "hat"]),
    ("Công ty TNHH Đặc sản Trảng Bàng", "enterprise", 25732, ["banh-trang", "muoi-tom", "mang-cau"]),
    ("HTX Nông nghiệp Bến Cầu", "cooperative", 25681, ["dua-hau", "cu"]),
    ("Nông trại Cần Giuộc Anh Tuấn", "household", 28159, ["chanh", "khom-dua"]),
    ("HTX Lúa gạo Mộc Hóa", "cooperative", 27823, ["gao"]),
    ("Vườn nhà Ninh Thạnh", "household", 25567, ["thanh-long", "mang-cau"]),
]
FIRST_SELLER_SLUG = "htx-mang-cau-ba-den"
PAYOUT_DEMO_MINIMUM = 50_000  # PAYOUT_MINIMUM_VND's default


def sign_in_hint() -> str:
    """What `market seed` prints every time: how the demo sellers' owners sign in."""
    return (
        f"demo owners sign in at POST /seller/v1/sessions with demo1@market.example ... "
        f"demo{len(SELLERS)}@market.example and the password {DEMO_PASSWORD}"
    )


async def seed(products_per_seller: int = 14, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Load the demo (idempotent: nothing is written when it is already there). Returns what was created."""
    added_categories = await seed_categories()
    if await Seller.exists().where(Seller.slug == FIRST_SELLER_SLUG).run():
        await seed_webhooks()
        return {"categories": added_categories, "sellers": 0, "products": 0, **await seed_money()}
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data
    total = len(SELLERS) * products_per_seller
    made = 0
    seller_ids: list[str] = []
    for number, (name, kind, ward_code, kinds) in enumerate(SELLERS, start=1):
        seller, _ = await sellers.register_self(_registration(number, name, kind, ward_code))
        seller_ids.append(seller.id)
        await seller_status.transition(seller.id, "approve", None, actor=DEMO_ACTOR)
        for index in range(products_per_seller):
            specialty = rng.choice([item for key in kinds for item in SPECIALTIES[key]])
            product = await catalog.create_product(
                seller.id, _product(rng, specialty, number, index, ward_code), (DEMO_IMAGE_HOST,)
            )
            await catalog.submit(seller.id, product.id)
            await moderation.moderate(product.id, "approve", None, DEMO_ACTOR)
            made += 1
            if progress:
                progress(made, total)
    made += await _extra_products()
    await seed_webhooks()
    money = await seed_money()
    payouts = await seed_payouts(seller_ids, PAYOUT_DEMO_MINIMUM)  # after the ledger's demo: it pays its balances
    return {"categories": added_categories, "sellers": len(SELLERS), "products": made, **money, **payouts}


async def seed_money() -> dict[str, int]:
    """The ledger's month of demo orders (track ledger; the payouts track adds its batch after it)."""
    from market.ledger.demo import seed_month

    return await seed_month()


async def _extra_products() -> int:
    """`EXTRA_PRODUCTS`, each with its own reproducible draws (qualifier, prices, stock)."""
    for position, (number, specialty) in enumerate(EXTRA_PRODUCTS):
        seller = await Seller.objects().where(Seller.email == f"demo{number}@market.example").first().run()
        if seller is None:
            continue
        rng = random.Random(9000 + position)  # noqa: S311 - reproducible demo data
        ward_code = SELLERS[number - 1][2]
        product = await catalog.create_product(
            seller.id, _product(rng, specialty, number, 90 + position, ward_code), (DEMO_IMAGE_HOST,)
        )
        await catalog.submit(seller.id, product.id)
        await moderation.moderate(product.id, "approve", None, DEMO_ACTOR)
    return len(EXTRA_PRODUCTS)


def _registration(number: int, name: str, kind: str, ward_code: int) -> SellerRegistration:
    phone = f"09{12_000_000 + number * 1_011:08d}"
    return SellerRegistration(
        kind=kind,  # type: ignore[arg-type]
        display_name=name,
        legal_name=name if kind == "household" else f"{name} (pháp nhân)",
        tax_code=None if kind == "household" else f"39{number:08d}",
        personal_id=f"072{number:09d}" if kind == "household" else None,  # Tây Ninh's CCCD prefix (the ledger's tax)
        phone=phone,
        email=f"demo{number}@market.example",
        province_code=TAY_NINH,
        ward_code=ward_code,
        pickup_address=AddressIn(
            street=f"Ấp {rng_street(number)}",
            ward_code=ward_code,
            province_code=TAY_NINH,
            contact_name="Người bán",
            phone=phone,
        ),
        description=f"{name}: nông sản Tây Ninh - Long An, giao tận nơi qua bưu điện.",
        owner=OwnerIn(identifier=f"demo{number}@market.example", name=name, password=DEMO_PASSWORD),
    )


def rng_street(number: int) -> str:
    return ["Lộc Trát", "Bàu Mây", "Suối Cao", "Tân Lộc", "Ninh Phú", "Trường Lưu"][number % 6]


def _product(rng: random.Random, specialty: Specialty, seller: int, index: int, ward_code: int) -> ProductIn:
    name, category, unit, size, price, grams, storage, shelf_life, catch_weight, preorder = specialty
    qualifier = QUALIFIERS[(seller + index) % len(QUALIFIERS)]
    base_price = max(1_000, round(price * rng.uniform(0.85, 1.3), -3))
    window = None
    if preorder and rng.random() < 0.5:
        start = clock.today() + timedelta(days=rng.randint(10, 60))
        window = PreorderIn(
            opens_on=clock.today(), harvest_from=start, harvest_to=start + timedelta(days=14),
            capacity=rng.randint(50, 400),
        )  # fmt: skip
    variants = [
        VariantIn(
            sku=f"D{seller:02d}-{index:02d}-{n}",
            unit=unit,  # type: ignore[arg-type]
            unit_size=size if n == 0 else f"combo {n + 1} x {size}",
            price=int(base_price * (n + 1) * (0.95 if n else 1)),
            weight_g=grams * (n + 1),
            stock=None if window else rng.randint(0, 300),
            preorder=window,
            catch_weight=catch_weight,
            tolerance_percent=10 if catch_weight else None,
            max_per_order=20,
        )
        for n in range(rng.randint(1, 3))
    ]
    return ProductIn(
        name=f"{name} {qualifier}",
        category=category,
        origin=OriginIn(province_code=TAY_NINH, ward_code=ward_code),
        storage=storage,  # type: ignore[arg-type]
        shelf_life_days=shelf_life,
        variants=variants,
        description=f"{name} {qualifier}, thu hoạch và đóng gói tại vườn, giao qua bưu điện trong ngày.",
        images=[f"https://{DEMO_IMAGE_HOST}/{category}/{seller}-{index}.jpg"],
        certifications=_certifications(rng, seller, index),
    )


def _certifications(rng: random.Random, seller: int, index: int) -> list[CertificationIn]:
    certs: list[CertificationIn] = []
    roll = rng.random()
    if roll < 0.35:
        certs.append(CertificationIn(type="vietgap", number=f"VG-80-{seller:02d}{index:03d}",
                                     issuer="Chi cục Quản lý chất lượng Nông Lâm Thủy sản Tây Ninh",
                                     valid_until=clock.today() + timedelta(days=rng.randint(90, 900))))  # fmt: skip
    if 0.3 < roll < 0.55:
        certs.append(CertificationIn(type="ocop", number=f"{1000 + seller}/QĐ-UBND", issuer="UBND tỉnh Tây Ninh",
                                     ocop_stars=rng.choice([3, 3, 4, 4, 5]),
                                     valid_until=clock.today() + timedelta(days=rng.randint(120, 1000))))  # fmt: skip
    if roll > 0.92:
        certs.append(CertificationIn(type="organic", number=f"TCVN11041-{seller}{index}", issuer="Vinacert",
                                     valid_until=clock.today() + timedelta(days=rng.randint(60, 700))))  # fmt: skip
    return certs


def specialty_rows() -> list[dict[str, Any]]:
    """The specialties as plain records (the benchmark generator draws from the same list)."""
    keys = ("name", "category", "unit", "unit_size", "price", "weight_g", "storage", "shelf_life_days",
            "catch_weight", "preorder")  # fmt: skip
    return [dict(zip(keys, item, strict=True)) for items in SPECIALTIES.values() for item in items]


# Seller webhooks: the first demo seller's endpoint on the local sink (`market webhook-sink`, deploy/dev run).
DEMO_WEBHOOK_URL = "http://127.0.0.1:8703/hooks/demo1"


async def seed_webhooks() -> str | None:
    """Register the first demo seller's webhook endpoint on the local sink (for every event), once, when the
    settings allow loopback receivers (development); hand the sink its secret so that it shows each delivery's
    signature verified. Returns the endpoint's id (None when not in development)."""
    import asyncio

    import httpx

    from market.core.resources import current
    from market.webhooks import service as webhooks
    from market.webhooks.tables import WebhookEndpoint
    from market.webhooks.vault import current_box

    if not current().settings.webhook_allow_loopback:
        return None
    seller = await Seller.objects().where(Seller.slug == FIRST_SELLER_SLUG).first().run()
    if seller is None:
        return None
    endpoint = await WebhookEndpoint.objects().where(
        (WebhookEndpoint.seller == seller.id) & (WebhookEndpoint.url == DEMO_WEBHOOK_URL)
    ).first().run()  # fmt: skip
    if endpoint is None:
        actor = webhooks.Actor(seller.id, DEMO_ACTOR)
        endpoint, _ = await webhooks.create_endpoint(actor, DEMO_WEBHOOK_URL, ["*"], "demo: the local sink", True)
    async with httpx.AsyncClient(timeout=2) as client:  # the sink keeps boxes in memory: tell it on every seed
        for _ in range(5):  # deploy/dev run starts the sink just before the seed
            try:
                await client.post(DEMO_WEBHOOK_URL.replace("/hooks/", "/_sink/boxes/") + "/secret",
                                  json={"secret": current_box().open(endpoint.secret, endpoint.id)})  # fmt: skip
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.2)  # no sink (yet): deliveries are retried until there is one
    return endpoint.id
