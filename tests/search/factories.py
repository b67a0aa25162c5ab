"""Catalog rows inserted directly with Piccolo, looking like the province's real listings."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from market.catalog.tables import Category, Certification, Product, Variant
from market.core import clock
from market.core.ids import new_id
from market.core.text import slugify
from market.inventory.tables import StockLevel
from market.sellers.tables import Seller

TAY_NINH = 80
LAM_DONG = 68
LONG_AN_WARD = 25708


async def seller(name: str = "HTX Nông nghiệp Bà Đen", *, status: str = "approved", **fields: Any) -> Seller:
    row = Seller(
        id=new_id("sel"),
        kind="cooperative",
        display_name=name,
        slug=fields.pop("slug", None) or f"{slugify(name)}-{new_id('x')[-6:]}",
        legal_name=name,
        phone="+84912345678",
        province_code=TAY_NINH,
        ward_code=LONG_AN_WARD,
        pickup_address={"line": "Ấp Ninh Trung", "ward_code": LONG_AN_WARD, "province_code": TAY_NINH},
        status=status,
        **fields,
    )
    await row.save().run()
    return row


async def category(name: str, parent: Category | None = None) -> Category:
    slug = slugify(name)
    row = Category(
        id=new_id("cat"),
        parent_id=parent.id if parent else None,
        name=name,
        slug=slug,
        path=f"{parent.path}/{slug}" if parent else slug,
    )
    await row.save().run()
    return row


async def product(
    owner: Seller,
    in_category: Category,
    name: str,
    *,
    price: int = 50_000,
    prices: tuple[int, ...] | None = None,
    on_hand: int = 10,
    province_code: int = TAY_NINH,
    storage: str = "ambient",
    status: str = "active",
    description: str = "",
    harvest_from: date | None = None,
    preorder_capacity: int | None = None,
) -> Product:
    """A product with one variant per price, each with its stock (or a pre-order window)."""
    row = Product(
        id=new_id("prd"),
        seller=owner.id,
        category=in_category.id,
        name=name,
        slug=f"{slugify(name)}-{new_id('x')[-6:]}",
        description=description,
        origin_province_code=province_code,
        images=[f"https://cdn.example.vn/{slugify(name)}.jpg"],
        storage=storage,
        shelf_life_days=30,
        status=status,
    )
    await row.save().run()
    for position, amount in enumerate(prices or (price,)):
        await variant(
            row,
            owner,
            amount,
            on_hand=on_hand,
            position=position,
            harvest_from=harvest_from,
            preorder_capacity=preorder_capacity,
        )
    return row


async def variant(
    of: Product,
    owner: Seller,
    price: int,
    *,
    on_hand: int = 10,
    position: int = 0,
    harvest_from: date | None = None,
    preorder_capacity: int | None = None,
) -> Variant:
    variant_id = new_id("var")
    row = Variant(
        id=variant_id,
        product=of.id,
        seller=owner.id,
        sku=variant_id[-8:],
        sku_key=f"{owner.id}:{variant_id}",
        unit="kg",
        unit_size="1 kg",
        price=price,
        weight_g=1000,
        position=position,
        harvest_from=harvest_from,
        harvest_to=harvest_from + timedelta(days=30) if harvest_from else None,
        preorder_opens_on=clock.today() if harvest_from else None,
    )
    await row.save().run()
    await (
        StockLevel(
            variant_id=variant_id,
            on_hand=0 if harvest_from else on_hand,
            preorder_capacity=preorder_capacity,
        )
        .save()
        .run()
    )
    return row


async def certification(
    of: Product, kind: str = "vietgap", *, valid_until: date | None = None, ocop_stars: int | None = None
) -> Certification:
    row = Certification(
        id=new_id("cer"),
        product=of.id,
        type=kind,
        number=f"VG-{new_id('x')[-6:]}",
        issuer="Chi cục Trồng trọt và Bảo vệ thực vật Tây Ninh",
        ocop_stars=ocop_stars,
        valid_until=valid_until or clock.today() + timedelta(days=365),
    )
    await row.save().run()
    return row


class Catalog:
    """A small catalog of Tây Ninh and Lâm Đồng produce that the search tests share."""

    async def build(self) -> Catalog:
        self.htx = await seller("HTX Nông nghiệp Bà Đen", slug="htx-ba-den")
        self.farm = await seller("Nông trại Cầu Đất", slug="nong-trai-cau-dat")
        self.fruit = await category("Trái cây")
        self.tropical = await category("Trái cây nhiệt đới", self.fruit)
        self.custard = await category("Mãng cầu", self.tropical)
        self.drinks = await category("Đồ uống")
        self.nuts = await category("Đậu và hạt")
        self.spices = await category("Gia vị")

        self.mang_cau = await product(self.htx, self.custard, "Mãng cầu Bà Đen", prices=(65_000, 120_000))
        self.khom = await product(self.htx, self.tropical, "Khóm Bến Lức", price=25_000, storage="chilled")
        self.thanh_long = await product(self.htx, self.tropical, "Thanh long ruột đỏ Châu Thành", price=40_000)
        self.ca_phe = await product(
            self.farm, self.drinks, "Cà phê Arabica Cầu Đất Đà Lạt", price=250_000, province_code=LAM_DONG, on_hand=0
        )
        self.dau_phong = await product(self.htx, self.nuts, "Đậu phộng rang Tây Ninh", price=80_000)
        self.muoi_tom = await product(self.htx, self.spices, "Muối tôm Tây Ninh", price=35_000)
        await certification(self.mang_cau, "vietgap")
        await certification(self.mang_cau, "ocop", ocop_stars=4)
        await certification(self.ca_phe, "organic")
        await certification(self.muoi_tom, "ocop", ocop_stars=3)
        return self

    @property
    def products(self) -> list[Product]:
        return [self.mang_cau, self.khom, self.thanh_long, self.ca_phe, self.dau_phong, self.muoi_tom]

    @property
    def ids(self) -> list[str]:
        return [row.id for row in self.products]
