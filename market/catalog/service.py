"""Products and variants as their seller manages them, and their moderation by operators.

When an edit sends a product back to review: changes to what buyers read or trust (name, description, category,
origin, images, storage, shelf life, certifications) move an active product to pending_review, hidden until an
operator approves it again. Commercial changes (price, stock, compare-at price, order limits, new variants) apply
at once: they are the seller's daily work and do not need a moderator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from market.catalog import categories
from market.catalog.schemas import CertificationIn, ProductIn, VariantIn
from market.catalog.tables import Certification, Product, Variant
from market.catalog.validation import (
    catch_weight_errors,
    certification_errors,
    image_errors,
    limit_errors,
    origin_errors,
    sku_errors,
    variant_errors,
)
from market.core import clock
from market.core.db import transaction
from market.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.core.ids import new_id
from market.core.outbox.service import record
from market.core.text import nfc, slugify
from market.inventory import service as inventory

REVIEWED_FIELDS = (
    "name",
    "description",
    "category",
    "origin",
    "images",
    "storage",
    "shelf_life_days",
    "certifications",
)
SUBMITTABLE = ("draft", "rejected", "taken_down")  # taken_down: fixed after an operator took it down
STOCK_FIELDS = ("stock", "preorder_capacity")
"""Variant changes that are the inventory's to apply."""
LIMIT_FIELDS = ("price", "compare_at_price", "min_per_order", "max_per_order", "catch_weight", "tolerance_percent")


async def _category_id(slug: str, errors: list[FieldError]) -> str | None:
    category = await categories.by_slug(slug)
    if category is None:
        errors.append(FieldError("category", "unknown_category", f"No category {slug}."))
        return None
    return category.id


async def create_product(seller_id: str, data: ProductIn, trusted_hosts: tuple[str, ...]) -> Product:
    """Validate everything, then write the product, its certifications, variants and stock in one transaction."""
    errors: list[FieldError] = []
    category_id = await _category_id(data.category, errors)
    errors += origin_errors(data.origin)
    errors += await image_errors(data.images, trusted_hosts)
    today = clock.today()
    errors += certification_errors(data.certifications, today)
    for index, variant in enumerate(data.variants):
        errors += variant_errors(variant, f"variants[{index}]", today)
    errors += await sku_errors(seller_id, [(f"variants[{i}].sku", v.sku) for i, v in enumerate(data.variants)])
    if errors:
        raise ValidationFailed(errors)
    product_id = new_id("prd")
    async with transaction():
        product = Product(
            id=product_id,
            seller=seller_id,
            category=category_id,
            name=nfc(data.name),
            slug=f"{slugify(data.name, max_length=120)}-{product_id[-6:]}",
            description=nfc(data.description),
            origin_province_code=data.origin.province_code,
            origin_ward_code=data.origin.ward_code,
            origin_farm=nfc(data.origin.farm) if data.origin.farm else None,
            images=list(data.images),
            storage=data.storage,
            shelf_life_days=data.shelf_life_days,
            status="draft",
        )
        await product.save().run()
        await _replace_certifications(product_id, data.certifications)
        for position, variant in enumerate(data.variants):
            await _insert_variant(seller_id, product_id, variant, position)
        await record("product.created", {"product_id": product_id, "seller_id": seller_id})
    return product


async def _replace_certifications(product_id: str, certifications: list[CertificationIn]) -> None:
    await Certification.delete().where(Certification.product == product_id).run()
    for cert in certifications:
        await (
            Certification(
                id=new_id("cer"),
                product=product_id,
                type=cert.type,
                number=nfc(cert.number),
                issuer=nfc(cert.issuer),
                scope=nfc(cert.scope) if cert.scope else None,
                ocop_stars=cert.ocop_stars,
                valid_until=cert.valid_until,
            )
            .save()
            .run()
        )


async def _insert_variant(seller_id: str, product_id: str, data: VariantIn, position: int) -> str:
    variant_id = new_id("var")
    window = data.preorder
    await (
        Variant(
            id=variant_id,
            product=product_id,
            seller=seller_id,
            sku=data.sku,
            sku_key=f"{seller_id}:{data.sku}",
            unit=data.unit,
            unit_size=nfc(data.unit_size),
            price=data.price,
            compare_at_price=data.compare_at_price,
            weight_g=data.weight_g,
            catch_weight=data.catch_weight,
            tolerance_percent=data.tolerance_percent,
            min_per_order=data.min_per_order,
            max_per_order=data.max_per_order,
            preorder_opens_on=window.opens_on if window else None,
            harvest_from=window.harvest_from if window else None,
            harvest_to=window.harvest_to if window else None,
            position=position,
        )
        .save()
        .run()
    )
    await inventory.create_level(variant_id, data.stock, window.capacity if window else None)
    return variant_id


async def owned_product(seller_id: str, product_id: str) -> Product:
    """The seller's product; another seller's, or none, is a 404."""
    product = await Product.objects().where((Product.id == product_id) & (Product.seller == seller_id)).first().run()
    if product is None:
        raise NotFound("No such product.")
    return product


async def list_seller_products(
    seller_id: str, status: str | None, category: str | None, before: str | None, limit: int
) -> list[Product]:
    query = Product.objects().where(Product.seller == seller_id).order_by(Product.id, ascending=False).limit(limit + 1)
    if status:
        query = query.where(Product.status == status)
    if category:
        found = await categories.by_slug(category)
        query = query.where(Product.category == (found.id if found else ""))
    if before:
        query = query.where(Product.id < before)
    return list(await query.run())


async def update_product(
    seller_id: str, product_id: str, changes: dict[str, Any], trusted_hosts: tuple[str, ...]
) -> Product:
    """Apply a PATCH; content changes of an active product send it back to review (see the module docstring)."""
    errors: list[FieldError] = []
    values: dict[Any, Any] = {}
    if "name" in changes:
        values[Product.name] = nfc(changes["name"])
    if "description" in changes:
        values[Product.description] = nfc(changes["description"])
    if "category" in changes:
        values[Product.category] = await _category_id(changes["category"], errors)
    if "origin" in changes:
        origin = changes["origin"]
        errors += origin_errors(origin)
        values[Product.origin_province_code] = origin.province_code
        values[Product.origin_ward_code] = origin.ward_code
        values[Product.origin_farm] = nfc(origin.farm) if origin.farm else None
    if "images" in changes:
        errors += await image_errors(changes["images"], trusted_hosts)
        values[Product.images] = list(changes["images"])
    for name in ("storage", "shelf_life_days"):
        if name in changes:
            values[getattr(Product, name)] = changes[name]
    if "certifications" in changes:
        errors += certification_errors(changes["certifications"], clock.today())
    if errors:
        raise ValidationFailed(errors)
    async with transaction():
        product = await _locked_editable(seller_id, product_id)
        if product["status"] == "active" and any(field in changes for field in REVIEWED_FIELDS):
            values[Product.status] = "pending_review"
        if "certifications" in changes:
            await _replace_certifications(product_id, changes["certifications"])
        await _touch(product_id, values)
        await record("product.updated", {"product_id": product_id, "seller_id": seller_id})
    return await owned_product(seller_id, product_id)


async def _locked_editable(seller_id: str, product_id: str) -> dict[str, Any]:
    """The seller's product row, locked for this transaction; 404 if not theirs, 409 once archived."""
    rows = await Product.raw(
        "SELECT id, status FROM product WHERE id = {} AND seller = {} FOR UPDATE", product_id, seller_id
    ).run()
    if not rows:
        raise NotFound("No such product.")
    row: dict[str, Any] = rows[0]
    if row["status"] == "archived":
        raise Conflict("An archived product cannot change.", code="illegal_transition", current_status="archived")
    return row


async def _touch(product_id: str, values: dict[Any, Any]) -> None:
    values[Product.updated_at] = datetime.now(UTC)
    values[Product.version] = Product.version + 1
    await Product.update(values).where(Product.id == product_id).run()


async def _move(product_id: str, seller_id: str | None, allowed: tuple[str, ...], target: str, event: str,
                reason: str | None = None) -> Product:  # fmt: skip
    async with transaction():
        rows = await Product.raw("SELECT seller, status FROM product WHERE id = {} FOR UPDATE", product_id).run()
        if not rows or (seller_id is not None and rows[0]["seller"] != seller_id):
            raise NotFound("No such product.")
        current = rows[0]["status"]
        if current not in allowed:
            raise Conflict(
                f"A product in {current} cannot move to {target}.", code="illegal_transition", current_status=current
            )
        if target == "pending_review":
            live = await Variant.count().where((Variant.product == product_id) & (Variant.status == "active"))
            if not live:
                raise Conflict("Add a variant before submitting.", code="no_variants")
        await _touch(product_id, {Product.status: target, Product.rejection_reason: reason})
        await record(event, {"product_id": product_id, "seller_id": rows[0]["seller"]})
    product = await Product.objects().where(Product.id == product_id).first().run()
    assert product is not None
    return product


async def submit(seller_id: str, product_id: str) -> Product:
    """Send a draft (or a rejected or taken-down product, once fixed) to review."""
    return await _move(product_id, seller_id, SUBMITTABLE, "pending_review", "product.submitted")


async def archive(seller_id: str, product_id: str) -> Product:
    """Withdraw a product for good (soft delete)."""
    allowed = ("draft", "pending_review", "active", "rejected", "taken_down")
    return await _move(product_id, seller_id, allowed, "archived", "product.archived")


async def add_variant(seller_id: str, product_id: str, data: VariantIn) -> str:
    errors = variant_errors(data, "body", clock.today()) + await sku_errors(seller_id, [("sku", data.sku)])
    if errors:
        raise ValidationFailed(errors)
    async with transaction():
        await _locked_editable(seller_id, product_id)
        position = await Variant.count().where(Variant.product == product_id)
        variant_id = await _insert_variant(seller_id, product_id, data, position)
        await _touch(product_id, {})
        await record("variant.created", {"product_id": product_id, "variant_id": variant_id})
    return variant_id


async def owned_variant(seller_id: str, product_id: str, variant_id: str) -> Variant:
    variant = (
        await Variant.objects()
        .where((Variant.id == variant_id) & (Variant.product == product_id) & (Variant.seller == seller_id))
        .first()
    )
    if variant is None:
        raise NotFound("No such variant.")
    return variant


async def update_variant(seller_id: str, product_id: str, variant_id: str, changes: dict[str, Any]) -> None:
    """Commercial changes (price, stock or a pre-order's capacity, limits, weight) apply at once, without review."""
    variant = await owned_variant(seller_id, product_id, variant_id)
    merged = {name: changes.get(name, getattr(variant, name)) for name in LIMIT_FIELDS}
    errors = limit_errors(
        "body", merged["price"], merged["compare_at_price"], merged["min_per_order"], merged["max_per_order"]
    )
    errors += catch_weight_errors("body", variant.unit, merged["catch_weight"], merged["tolerance_percent"])
    if errors:
        raise ValidationFailed(errors)
    values = {getattr(Variant, name): value for name, value in changes.items() if name not in STOCK_FIELDS}
    async with transaction():
        if values:
            values[Variant.updated_at] = datetime.now(UTC)
            await Variant.update(values).where(Variant.id == variant_id).run()
        if "stock" in changes:
            await inventory.set_on_hand(variant_id, changes["stock"])
        if "preorder_capacity" in changes:
            await inventory.set_capacity(variant_id, changes["preorder_capacity"])
        await _touch(product_id, {})
        await record("variant.updated", {"product_id": product_id, "variant_id": variant_id})


async def archive_variant(seller_id: str, product_id: str, variant_id: str) -> None:
    await owned_variant(seller_id, product_id, variant_id)
    async with transaction():
        live = await Variant.count().where(
            (Variant.product == product_id) & (Variant.status == "active") & (Variant.id != variant_id)
        )
        if not live:
            raise Conflict("A product keeps at least one variant; archive the product instead.", code="last_variant")
        await (
            Variant.update({Variant.status: "archived", Variant.updated_at: datetime.now(UTC)})
            .where(Variant.id == variant_id)
            .run()
        )
        await _touch(product_id, {})
        await record("variant.archived", {"product_id": product_id, "variant_id": variant_id})
