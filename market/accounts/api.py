"""Buyer endpoints: registration, sign-in and sign-out, the account ("me"), its password and its address book."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter

from market.accounts import addresses, service
from market.accounts.mapping import account_out, address_out
from market.accounts.schemas import (
    AccountDeletionIn,
    AccountOut,
    AddressIn,
    AddressOut,
    AddressUpdate,
    Client,
    LoginIn,
    PasswordChangeIn,
    RegistrationIn,
    RegistrationOut,
    SessionOut,
)
from market.accounts.tables import Account
from market.cart import service as carts
from market.cart.api import CartToken, cart_store
from market.cart.store import CartRef
from market.core.pagination import Page
from market.core.resources import Resources
from market.core.schemas import unset_to_dict
from market.web import buyer_auth, sessions
from market.web.deps import ResourcesDep
from market.web.openapi.routes import PROBLEMS, RATE_LIMITED
from market.web.responses import LOCATION
from market.web.sessions import STARTS_SESSION, Buyer, provide_buyer

AnyRequest = Request[Any, Any, Any]
AddressId = Annotated[str, Parameter(max_length=40)]


def _guest_cart(resources: Resources, token: str | None) -> CartRef | None:
    return carts.guest_cart(resources.settings.secret_key, token) if token else None


async def _start(
    request: AnyRequest, resources: Resources, account: Account, client: Client, guest: CartRef | None
) -> SessionOut:
    """A new session for the account; the guest cart the client came with merges into the account's cart."""
    ttl = resources.settings.session_ttl_s
    token = await sessions.begin(request, account.id, ttl, client)
    merged = None
    if guest is not None:
        customer = carts.customer_cart(resources.settings.secret_key, account.id)
        merged = await carts.merge_guest(cart_store(resources), guest, customer)
    return SessionOut(account_out(account), client, token, ttl, merged)


class AccountController(Controller):
    """Buyer registration."""

    path = "/accounts"
    tags = ["storefront: account"]

    @post(
        "/",
        operation_id="buyer_register",
        opt={STARTS_SESSION: True, LOCATION: "/api/v1/me", PROBLEMS: ("identifier_taken",)},
    )
    async def register(
        self, data: RegistrationIn, request: AnyRequest, resources: ResourcesDep, cart_token: CartToken
    ) -> RegistrationOut:
        """Create a buyer account with an email or a mobile number, signed in at once."""
        guest = _guest_cart(resources, cart_token)
        account = await buyer_auth.register(request, resources, data.identifier, data.name, data.password)
        session = await _start(request, resources, account, data.client, guest)
        return RegistrationOut(session.account, session)


class SessionController(Controller):
    """Signing in and out (web: cookie; mobile: bearer token)."""

    path = "/sessions"
    tags = ["storefront: account"]

    @post(
        "/",
        operation_id="buyer_login",
        opt={STARTS_SESSION: True, LOCATION: "/api/v1/sessions/current", PROBLEMS: ("invalid_credentials",)},
    )
    async def login(
        self, data: LoginIn, request: AnyRequest, resources: ResourcesDep, cart_token: CartToken
    ) -> SessionOut:
        """Sign in; a guest cart sent as `Cart-Token` merges into the account's cart."""
        guest = _guest_cart(resources, cart_token)
        account = await buyer_auth.sign_in(request, resources, data.identifier, data.password)
        return await _start(request, resources, account, data.client, guest)

    @delete("/current", operation_id="buyer_logout", status_code=204)
    async def logout(self, request: AnyRequest) -> None:
        """Sign out: the session ends (and the cookie is cleared)."""
        await sessions.end(request, sessions.current_buyer(request))


class MeController(Controller):
    """The signed-in buyer's account and address book."""

    path = "/me"
    tags = ["storefront: account"]
    dependencies = {"buyer": Provide(provide_buyer)}

    @get("/", operation_id="buyer_me")
    async def me(self, buyer: Buyer) -> AccountOut:
        """The signed-in account."""
        return account_out(await service.get_account(buyer.account_id))

    @post("/password", operation_id="buyer_change_password", status_code=200, opt={RATE_LIMITED: True, PROBLEMS: ()})
    async def change_password(
        self, data: PasswordChangeIn, request: AnyRequest, resources: ResourcesDep, buyer: Buyer
    ) -> SessionOut:
        """Change the password: every session of the account ends; this one goes on under a new id."""
        change = partial(service.change_password, buyer.account_id, data.current_password, data.new_password)
        await buyer_auth.password_checked(resources, buyer.account_id, change)
        await sessions.end_all(request, buyer.account_id)
        account = await service.get_account(buyer.account_id)
        client: Client = "mobile" if sessions.exchange_of(request.scope["state"]).bearer else "web"
        return await _start(request, resources, account, client, None)

    @delete("/", operation_id="buyer_delete_account", status_code=204,
            opt={RATE_LIMITED: True, PROBLEMS: ("account_is_seller_member",)})  # fmt: skip
    async def delete_account(
        self, data: AccountDeletionIn, request: AnyRequest, resources: ResourcesDep, buyer: Buyer
    ) -> None:
        """Delete the account: personal data erased, sessions ended, cart dropped (orders keep an anonymous id)."""
        erase = partial(service.delete_account, buyer.account_id, data.password)
        await buyer_auth.password_checked(resources, buyer.account_id, erase)
        await sessions.end_all(request, buyer.account_id)
        await carts.drop_customer_cart(cart_store(resources), resources.settings.secret_key, buyer.account_id)

    @get("/addresses", operation_id="buyer_addresses_list")
    async def list_addresses(self, buyer: Buyer) -> Page[AddressOut]:
        """The address book, the default address first."""
        rows = await addresses.list_addresses(buyer.account_id)
        return Page(data=[address_out(row) for row in rows], has_more=False, next_cursor=None)

    @post(
        "/addresses",
        operation_id="buyer_addresses_create",
        opt={LOCATION: "/api/v1/me/addresses/{content.id}", PROBLEMS: ("address_book_full",)},
    )
    async def add_address(self, data: AddressIn, buyer: Buyer) -> AddressOut:
        """Add an address (ward and province from the units catalog; the phone stored in E.164)."""
        values = unset_to_dict(data)
        make_default = values.pop("is_default")
        return address_out(await addresses.add_address(buyer.account_id, values, make_default))

    @get("/addresses/{address_id:str}", operation_id="buyer_addresses_get")
    async def get_address(self, address_id: AddressId, buyer: Buyer) -> AddressOut:
        """One address."""
        return address_out(await addresses.get_address(buyer.account_id, address_id))

    @patch("/addresses/{address_id:str}", operation_id="buyer_addresses_update")
    async def update_address(self, address_id: AddressId, data: AddressUpdate, buyer: Buyer) -> AddressOut:
        """Change an address, or make it the default."""
        return address_out(await addresses.update_address(buyer.account_id, address_id, unset_to_dict(data)))

    @delete("/addresses/{address_id:str}", operation_id="buyer_addresses_delete", status_code=204)
    async def delete_address(self, address_id: AddressId, buyer: Buyer) -> None:
        """Delete an address."""
        await addresses.delete_address(buyer.account_id, address_id)
