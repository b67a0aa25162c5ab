"""Cart endpoints: a signed-in buyer's cart (session cookie or bearer), or a guest's (the `Cart-Token` header)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import HeaderParameter

from market.cart import service
from market.cart.mapping import cart_out
from market.cart.schemas import CartOut, LineIn, LineOut, LineUpdate
from market.cart.store import CartRef, CartStore
from market.cart.tokens import new_guest_cart
from market.core.errors import NotAuthenticated
from market.core.resources import Resources
from market.shipping.quote_schemas import DestinationIn
from market.shipping.quotes import Quoter
from market.shipping.registry import quoter_for
from market.web.deps import ResourcesDep
from market.web.openapi.routes import PROBLEMS
from market.web.responses import LOCATION
from market.web.sessions import current_buyer

CartToken = Annotated[
    str | None,
    HeaderParameter(name="Cart-Token", required=False, description="The token of a guest cart (POST /api/v1/carts)."),
]
_stores: dict[int, CartStore] = {}


def cart_store(resources: Resources) -> CartStore:
    """The process's cart store on this Redis client (its Lua scripts registered once)."""
    store = _stores.get(id(resources.redis))
    if store is None or store.redis is not resources.redis:
        store = _stores[id(resources.redis)] = CartStore(resources.redis, resources.settings.redis_key_prefix)
    return store


def _quoter(resources: Resources) -> Quoter:
    return quoter_for(resources.settings, resources.redis)


def current_cart(request: Request[Any, Any, Any], resources: Resources, token: str | None) -> CartRef:
    """A signed-in buyer's cart, else the guest cart of the token; a buyer's session wins over a token."""
    secret = resources.settings.secret_key
    buyer = current_buyer(request)
    if buyer is not None:
        return service.customer_cart(secret, buyer.account_id)
    if token:
        return service.guest_cart(secret, token)
    raise NotAuthenticated("Sign in, or send the Cart-Token of a guest cart (POST /api/v1/carts makes one).")


class CartController(Controller):
    """Carts that span sellers: lines grouped by seller, with current prices, stock and warnings."""

    path = "/carts"
    tags = ["storefront: cart"]

    @post("/", operation_id="cart_create_guest", opt={LOCATION: "/api/v1/carts/current", PROBLEMS: ()})
    async def create(self, resources: ResourcesDep) -> CartOut:
        """Start a guest cart; send its `token` as the `Cart-Token` header (it merges into your cart at sign-in)."""
        cart_id, token = new_guest_cart(resources.settings.secret_key)
        return cart_out(service.CartContents(CartRef(cart_id, customer=False), [], {}), token=token)

    @get("/current", operation_id="cart_get")
    async def current(self, request: Request[Any, Any, Any], resources: ResourcesDep, cart_token: CartToken) -> CartOut:
        """The cart: lines by seller with subtotals, current prices and stock, warnings and estimates; with a
        destination, each seller's shipping and the total."""
        cart = current_cart(request, resources, cart_token)
        return cart_out(await service.contents(cart_store(resources), cart, _quoter(resources)))

    @put("/current/destination", operation_id="cart_destination_set")
    async def set_destination(
        self, data: DestinationIn, request: Request[Any, Any, Any], resources: ResourcesDep, cart_token: CartToken
    ) -> CartOut:
        """Say where the parcels go (province, and ward when known): the cart answers with shipping per seller."""
        cart, store = current_cart(request, resources, cart_token), cart_store(resources)
        await service.set_destination(store, cart, data.province_code, data.ward_code)
        return cart_out(await service.contents(store, cart, _quoter(resources)))

    @delete("/current/destination", operation_id="cart_destination_clear", status_code=204)
    async def clear_destination(
        self, request: Request[Any, Any, Any], resources: ResourcesDep, cart_token: CartToken
    ) -> None:
        """Forget the destination (the cart answers without shipping again)."""
        await service.clear_destination(cart_store(resources), current_cart(request, resources, cart_token))

    @post("/current/lines", operation_id="cart_lines_add", opt={LOCATION: "/api/v1/carts/current",
          PROBLEMS: ("insufficient_stock", "cart_full", "preorder_not_open", "preorder_closed")})  # fmt: skip
    async def add(self, data: LineIn, request: Request[Any, Any, Any], cart_token: CartToken) -> LineOut:
        """Add a quantity of a variant (more of it when the line exists)."""
        resources: Resources = request.app.state.resources  # the hottest write: no dependency injection for it
        cart = current_cart(request, resources, cart_token)
        quantity, price = await service.add_line(cart_store(resources), cart, data.variant_id, data.quantity)
        return LineOut(cart.id, data.variant_id, quantity, price)

    @patch("/current/lines/{variant_id:str}", operation_id="cart_lines_update")
    async def update(
        self,
        variant_id: str,
        data: LineUpdate,
        request: Request[Any, Any, Any],
        resources: ResourcesDep,
        cart_token: CartToken,
    ) -> LineOut:
        """Set a line's quantity."""
        cart = current_cart(request, resources, cart_token)
        quantity, price = await service.set_line(cart_store(resources), cart, variant_id, data.quantity)
        return LineOut(cart.id, variant_id, quantity, price)

    @delete("/current/lines/{variant_id:str}", operation_id="cart_lines_remove", status_code=204)
    async def remove(
        self, variant_id: str, request: Request[Any, Any, Any], resources: ResourcesDep, cart_token: CartToken
    ) -> None:
        """Remove a line."""
        await service.remove_line(cart_store(resources), current_cart(request, resources, cart_token), variant_id)
