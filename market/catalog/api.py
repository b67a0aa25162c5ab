"""Catalog endpoints: the seller's products and variants, operators' moderation, and the storefront."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, patch, post
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.response.base import ASGIResponse

from market.audit.service import operator_actor
from market.catalog import categories, moderation, reads, service, storefront
from market.catalog.bulk import bulk_update
from market.catalog.mapping import category_tree, harvest_out
from market.catalog.schemas import (
    BulkUpdateIn,
    BulkUpdateOut,
    CategoryOut,
    HarvestIn,
    HarvestOut,
    ProductDetail,
    ProductIn,
    ProductOut,
    ProductSummary,
    ProductUpdate,
    RejectIn,
    VariantIn,
    VariantUpdate,
)
from market.core.errors import field_error
from market.core.pagination import DEFAULT_LIMIT, Page, decode_cursor, encode_cursor, page_of
from market.core.resources import Resources
from market.core.schemas import ReasonIn, unset_to_dict
from market.orders import harvest
from market.orders.api import _seller_actor
from market.web.deps import Limit, ResourcesDep
from market.web.guards import guard_then
from market.web.operator_auth import OperatorPrincipal, provide_operator
from market.web.responses import LOCATION, JSONBytes
from market.web.seller_auth import SellerPrincipal, provide_seller

ProductStatus = Literal["draft", "pending_review", "active", "rejected", "taken_down", "archived"]
WRITE = {"scope": "catalog:write"}


def _before(cursor: str | None) -> str | None:
    return str(decode_cursor(cursor, 1)[0]) if cursor else None


def _page(products: list[ProductOut], limit: int) -> Page[ProductOut]:
    return page_of(products, limit, lambda last: encode_cursor(last.id))


class SellerCatalogController(Controller):
    """The authenticated seller's products and variants."""

    path = "/seller/v1"
    tags = ["seller: catalog"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/products", operation_id="seller_products_list")
    async def list_products(
        self,
        principal: SellerPrincipal,
        status: ProductStatus | None = None,
        category: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[ProductOut]:
        """The seller's products, newest first, filtered by status and category."""
        rows = await service.list_seller_products(principal.seller_id, status, category, _before(cursor), limit)
        return _page(await reads.products_out(rows), limit)

    @post(
        "/products", operation_id="seller_products_create", opt={**WRITE, LOCATION: "/seller/v1/products/{content.id}"}
    )
    async def create(self, data: ProductIn, principal: SellerPrincipal, resources: ResourcesDep) -> ProductOut:
        """Create a product (a draft) with its variants, stock and certifications."""
        trusted = resources.settings.image_trusted_hosts
        return await reads.product_out_of(await service.create_product(principal.seller_id, data, trusted))

    @get("/products/{product_id:str}", operation_id="seller_products_get")
    async def get_product(self, product_id: str, principal: SellerPrincipal) -> ProductOut:
        """One of the seller's products."""
        return await reads.product_out_of(await service.owned_product(principal.seller_id, product_id))

    @patch("/products/{product_id:str}", operation_id="seller_products_update", opt=WRITE)
    async def update(
        self, product_id: str, data: ProductUpdate, principal: SellerPrincipal, resources: ResourcesDep
    ) -> ProductOut:
        """Change a product; content changes send an active product back to review."""
        changes = unset_to_dict(data)
        trusted = resources.settings.image_trusted_hosts
        product = await service.update_product(principal.seller_id, product_id, changes, trusted)
        return await reads.product_out_of(product)

    @post("/products/{product_id:str}/submit", operation_id="seller_products_submit", opt=WRITE, status_code=200)
    async def submit(self, product_id: str, principal: SellerPrincipal) -> ProductOut:
        """Send a draft or a rejected product to review."""
        return await reads.product_out_of(await service.submit(principal.seller_id, product_id))

    @post("/products/{product_id:str}/archive", operation_id="seller_products_archive", opt=WRITE, status_code=200)
    async def archive(self, product_id: str, principal: SellerPrincipal) -> ProductOut:
        """Archive a product: it leaves the storefront and search for good."""
        return await reads.product_out_of(await service.archive(principal.seller_id, product_id))

    @post("/products/{product_id:str}/variants", operation_id="seller_variants_create",
          opt={**WRITE, LOCATION: "/seller/v1/products/{product_id}/variants/{content.id}"})  # fmt: skip
    async def add_variant(self, product_id: str, data: VariantIn, principal: SellerPrincipal) -> ProductOut:
        """Add a variant (no review needed)."""
        await service.add_variant(principal.seller_id, product_id, data)
        return await reads.product_out_of(await service.owned_product(principal.seller_id, product_id))

    @patch("/products/{product_id:str}/variants/{variant_id:str}", operation_id="seller_variants_update", opt=WRITE)
    async def update_variant(
        self, product_id: str, variant_id: str, data: VariantUpdate, principal: SellerPrincipal
    ) -> ProductOut:
        """Change a variant's price, stock, weight or limits."""
        await service.update_variant(principal.seller_id, product_id, variant_id, unset_to_dict(data))
        return await reads.product_out_of(await service.owned_product(principal.seller_id, product_id))

    @post(
        "/products/{product_id:str}/variants/{variant_id:str}/archive",
        operation_id="seller_variants_archive",
        opt=WRITE,
        status_code=200,
    )
    async def archive_variant(self, product_id: str, variant_id: str, principal: SellerPrincipal) -> ProductOut:
        """Archive a variant (a product keeps at least one)."""
        await service.archive_variant(principal.seller_id, product_id, variant_id)
        return await reads.product_out_of(await service.owned_product(principal.seller_id, product_id))

    @post(
        "/products/{product_id:str}/variants/{variant_id:str}/harvest",
        operation_id="seller_variants_harvest",
        opt=WRITE,
        status_code=200,
    )
    async def declare_harvest(
        self, product_id: str, variant_id: str, data: HarvestIn, principal: SellerPrincipal
    ) -> HarvestOut:
        """Declare a pre-order's harvest: pre-orders filled first come, first served, the rest cancelled."""
        actor = _seller_actor(principal)
        landed = await harvest.declare(principal.seller_id, product_id, variant_id, data.harvested_quantity, actor)
        return harvest_out(product_id, landed)

    @post("/inventory/bulk-update", operation_id="seller_inventory_bulk_update", opt=WRITE, status_code=200)
    async def bulk(self, data: BulkUpdateIn, principal: SellerPrincipal) -> BulkUpdateOut:
        """Update stock and prices of up to 1,000 variants; each item succeeds or fails on its own."""
        return await bulk_update(principal.seller_id, data.items)


class AdminCatalogController(Controller):
    """Operators moderate listings."""

    path = "/admin/v1/products"
    tags = ["admin: catalog"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/", operation_id="admin_products_list")
    async def list_products(
        self,
        operator: OperatorPrincipal,
        status: ProductStatus | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[ProductOut]:
        """Products of every seller, e.g. `status=pending_review` for the moderation queue."""
        rows = await moderation.list_for_moderation(status, _before(cursor), limit)
        return _page(await reads.products_out(rows), limit)

    @post("/{product_id:str}/approve", operation_id="admin_products_approve", status_code=200)
    async def approve(self, product_id: str, operator: OperatorPrincipal) -> ProductOut:
        """Publish a product under review."""
        return await _moderated(product_id, "approve", None, operator)

    @post("/{product_id:str}/reject", operation_id="admin_products_reject", status_code=200)
    async def reject(self, product_id: str, data: RejectIn, operator: OperatorPrincipal) -> ProductOut:
        """Reject a product under review, with the reason the seller will read."""
        return await _moderated(product_id, "reject", data.reason, operator)

    @post("/{product_id:str}/take-down", operation_id="admin_products_take_down", status_code=200)
    async def take_down(self, product_id: str, data: ReasonIn, operator: OperatorPrincipal) -> ProductOut:
        """Take an active product down with the reason the seller will read: it leaves the storefront and search."""
        return await _moderated(product_id, "take_down", data.reason, operator)

    @post("/{product_id:str}/reinstate", operation_id="admin_products_reinstate", status_code=200)
    async def reinstate(self, product_id: str, data: ReasonIn, operator: OperatorPrincipal) -> ProductOut:
        """Put a taken-down product back on sale as it is, with a reason (kept in the audit trail)."""
        return await _moderated(product_id, "reinstate", data.reason, operator)


async def _moderated(product_id: str, action: str, reason: str | None, operator: OperatorPrincipal) -> ProductOut:
    product = await moderation.moderate(product_id, action, reason, operator_actor(operator.operator_id))
    return await reads.product_out_of(product)


async def _product_page(request: Request[Any, Any, Any]) -> ASGIResponse:
    """The hottest read of the storefront: the cached body goes out as-is, without re-encoding, DI or parameter
    parsing (`slug` is a plain str path parameter)."""
    resources: Resources = request.app.state.resources
    settings = resources.settings
    body = await storefront.product_detail_bytes(
        resources.redis, settings.redis_key_prefix, settings.product_cache_ttl_s, request.path_params["slug"]
    )
    return JSONBytes(body)


class StorefrontCatalogController(Controller):
    """Categories and products as buyers browse them."""

    path = "/api/v1"
    tags = ["storefront"]

    @get("/categories", operation_id="storefront_categories")
    async def list_categories(self) -> list[CategoryOut]:
        """The category tree."""
        return category_tree(await categories.all_categories())

    @get("/products", operation_id="storefront_products_list")
    async def list_products(
        self,
        category: str | None = None,
        province: Annotated[int | None, Parameter(ge=1, le=99)] = None,
        seller: str | None = None,
        certification: Literal["vietgap", "globalgap", "organic", "ocop"] | None = None,
        in_stock: bool | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[ProductSummary]:
        """Public products, newest first, with filters."""
        filters: dict[str, object] = {"province": province, "seller": seller, "certification": certification,
                                      "in_stock": in_stock}  # fmt: skip
        if category:
            found = await categories.by_slug(category)
            if found is None:
                raise field_error("category", "unknown_category", f"No category {category}.")
            filters.update(category=category, category_path=found.path)
        rows = await storefront.list_products(filters, _before(cursor), limit)
        return page_of(rows, limit, lambda last: encode_cursor(last.id))

    @get("/products/{slug:str}", operation_id="storefront_products_get", response_class=None,
         before_request=guard_then(_product_page),
         responses={200: ResponseSpec(ProductDetail, description="The product.", generate_examples=False)})  # fmt: skip
    async def get_product(self, slug: str, request: Request[Any, Any, Any]) -> ASGIResponse:
        """A public product with its variants, certifications, origin and seller card."""
        return await _product_page(request)  # what the route's before_request answers (the guard first)
