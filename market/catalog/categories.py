"""The category tree, with Vietnamese names, seeded from data."""

from __future__ import annotations

from market.catalog.tables import Category
from market.core.ids import new_id

TREE: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("Trái cây", "trai-cay", [("Mãng cầu", "mang-cau"), ("Thanh long", "thanh-long"), ("Chanh", "chanh"),
                              ("Dưa hấu", "dua-hau"), ("Khóm - dứa", "khom-dua"), ("Trái cây khác", "trai-cay-khac")]),
    ("Rau củ", "rau-cu", [("Nấm", "nam"), ("Củ", "cu"), ("Rau lá", "rau-la")]),
    ("Gạo và ngũ cốc", "gao-ngu-coc", [("Gạo", "gao"), ("Hạt", "hat")]),
    ("Đặc sản", "dac-san", [("Bánh tráng", "banh-trang"), ("Mứt và sấy", "mut-say"), ("Đặc sản khác", "dac-san-khac")]),
    ("Gia vị", "gia-vi", [("Muối tôm", "muoi-tom"), ("Nước mắm", "nuoc-mam"), ("Gia vị khác", "gia-vi-khac")]),
    ("Đồ uống", "do-uong", [("Cà phê", "ca-phe"), ("Trà", "tra"), ("Nước ép", "nuoc-ep")]),
]  # fmt: skip


async def seed_categories() -> int:
    """Insert the categories that are missing (idempotent); returns how many were added."""
    existing = {row["slug"] for row in await Category.select(Category.slug).run()}
    added = 0
    for position, (name, slug, children) in enumerate(TREE):
        parent_id = await _ensure(name, slug, slug, None, position, existing)
        added += slug not in existing
        for child_position, (child_name, child_slug) in enumerate(children):
            await _ensure(child_name, child_slug, f"{slug}/{child_slug}", parent_id, child_position, existing)
            added += child_slug not in existing
    return added


async def _ensure(name: str, slug: str, path: str, parent_id: str | None, position: int, existing: set[str]) -> str:
    if slug in existing:
        row = await Category.select(Category.id).where(Category.slug == slug).first().run()
        assert row is not None
        return str(row["id"])
    category_id = new_id("cat")
    await Category(id=category_id, parent_id=parent_id, name=name, slug=slug, path=path, position=position).save()
    return category_id


async def all_categories() -> list[Category]:
    return list(await Category.objects().order_by(Category.path).run())


async def by_slug(slug: str) -> Category | None:
    found: Category | None = await Category.objects().where(Category.slug == slug).first().run()
    return found
