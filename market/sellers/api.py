"""Seller API: registration, sign-in, profile, members and API keys; operators' seller verification."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig

from market.audit.service import operator_actor
from market.core.pagination import (
    DEFAULT_LIMIT,
    Page,
    decode_cursor,
    decode_position,
    encode_cursor,
    page_of,
)
from market.core.schemas import ReasonIn, unset_to_dict
from market.sellers import service, status
from market.sellers.mapping import api_key_out, invitation_out, member_out, seller_card, seller_out, status_change_out
from market.sellers.schemas import (
    AcceptInvitationIn,
    ApiKeyIn,
    ApiKeyOut,
    ApprovalIn,
    InvitationIn,
    InvitationOut,
    LoginIn,
    MemberOut,
    RegistrationOut,
    SellerCard,
    SellerOut,
    SellerRegistration,
    SellerRegistrationOnBehalf,
    SellerUpdate,
    SessionOut,
    StatusChangeOut,
)
from market.web.deps import Limit, ResourcesDep, bearer_token
from market.web.openapi.routes import PROBLEMS
from market.web.operator_auth import OperatorPrincipal, provide_operator
from market.web.responses import LOCATION
from market.web.seller_auth import (
    SESSION_PREFIX,
    SellerPrincipal,
    end_session,
    provide_seller,
    session_store,
    sign_in,
)

login_limit = RateLimitConfig(rate_limit=("minute", 10), store="rate_limit")
registration_limit = RateLimitConfig(rate_limit=("minute", 20), store="rate_limit")
REVOKE = {"owner": True, "while_suspended": True}  # revoking a key only takes access away: allowed when suspended


def _history_page(changes: list[status.StatusChange], limit: int) -> Page[StatusChangeOut]:
    page = page_of(changes, limit, lambda last: encode_cursor(last.position))
    return Page([status_change_out(change) for change in page.data], page.has_more, page.next_cursor)


def _actor(operator: OperatorPrincipal) -> str:
    return operator_actor(operator.operator_id)


async def _session_out(resources: ResourcesDep, account_id: str, seller_id: str, role: str) -> SessionOut:
    token = await session_store(resources).create(account_id, SESSION_PREFIX, seller_id)
    return SessionOut(token, account_id, seller_id, role, resources.settings.session_ttl_s)


class SellerOnboardingController(Controller):
    """Public seller endpoints: register, sign in, accept an invitation."""

    path = "/seller/v1"
    tags = ["seller: account"]

    @post("/sellers", operation_id="seller_register", middleware=[registration_limit.middleware],
          opt={LOCATION: "/seller/v1/seller", PROBLEMS: ("identifier_taken",)})  # fmt: skip
    async def register(self, data: SellerRegistration, resources: ResourcesDep) -> RegistrationOut:
        """Register a seller and its owner; the seller stays pending until an operator approves it."""
        seller, member = await service.register_self(data)
        session = await _session_out(resources, member.account, seller.id, "owner")
        return RegistrationOut(seller=seller_out(seller), session=session)

    @post("/sessions", operation_id="seller_login", middleware=[login_limit.middleware],
          opt={LOCATION: "/seller/v1/sessions/current", PROBLEMS: ("invalid_credentials", "not_a_member")})  # fmt: skip
    async def login(self, data: LoginIn, resources: ResourcesDep) -> SessionOut:
        """Sign a member in; the answer carries the bearer session token."""
        account, member = await sign_in(resources, data.identifier, data.password, data.seller)
        return await _session_out(resources, account.id, member.seller.id, member.role)

    @post("/invitations/accept", operation_id="seller_accept_invitation", middleware=[login_limit.middleware],
          opt={LOCATION: "/seller/v1/sessions/current",
               PROBLEMS: ("invitation_invalid", "already_member")})  # fmt: skip
    async def accept(self, data: AcceptInvitationIn, resources: ResourcesDep) -> SessionOut:
        """Join a seller with an invitation token (also how an operator-registered household sets its password)."""
        account, member = await service.accept_invitation(data.token, data.name, data.password)
        return await _session_out(resources, account.id, member.seller, member.role)


class SellerAccountController(Controller):
    """The authenticated seller's profile, members and API keys."""

    path = "/seller/v1"
    tags = ["seller: account"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/seller", operation_id="seller_me")
    async def me(self, principal: SellerPrincipal) -> SellerOut:
        """The seller this key or session belongs to."""
        return seller_out(await service.get(principal.seller_id))

    @get("/seller/status-history", operation_id="seller_status_history")
    async def status_history(
        self, principal: SellerPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[StatusChangeOut]:
        """Every verification change of this seller (approval, suspension, reinstatement), newest first, with why."""
        changes = await status.history(principal.seller_id, decode_position(cursor), limit + 1)
        return _history_page(changes, limit)

    @patch("/seller", operation_id="seller_update", opt={"owner": True})
    async def update(self, data: SellerUpdate, principal: SellerPrincipal) -> SellerOut:
        """Change the profile (owner only)."""
        return seller_out(await service.update(principal.seller_id, unset_to_dict(data)))

    @delete("/sessions/current", operation_id="seller_logout", status_code=204)
    async def logout(self, request: Request[Any, Any, Any], resources: ResourcesDep) -> None:
        """End this member session (an API key is revoked, not logged out: 409 `api_key_not_a_session`)."""
        await end_session(bearer_token(request.headers.get("authorization")), resources)

    @get("/members", operation_id="seller_members_list")
    async def members(self, principal: SellerPrincipal) -> Page[MemberOut]:
        """The seller's members."""
        members = [member_out(member) for member in await service.list_members(principal.seller_id)]
        return Page(data=members, has_more=False, next_cursor=None)

    @post("/members", operation_id="seller_members_invite", opt={"owner": True, LOCATION: "/seller/v1/members"})
    async def invite(self, data: InvitationIn, principal: SellerPrincipal) -> InvitationOut:
        """Invite a person as staff (owner only); the token is shown once."""
        invitation, token = await service.invite(principal.seller_id, data.identifier, data.role)
        return invitation_out(invitation, token)

    @delete("/members/{member_id:str}", operation_id="seller_members_remove", opt={"owner": True}, status_code=204)
    async def remove(self, member_id: str, principal: SellerPrincipal) -> None:
        """Remove a staff member (owner only)."""
        await service.remove_member(principal.seller_id, member_id)

    @get("/api-keys", operation_id="seller_api_keys_list", opt={"owner": True})
    async def api_keys(self, principal: SellerPrincipal) -> Page[ApiKeyOut]:
        """API keys, live and revoked (never their secrets)."""
        keys = [api_key_out(key) for key in await service.list_api_keys(principal.seller_id)]
        return Page(data=keys, has_more=False, next_cursor=None)

    @post(
        "/api-keys",
        operation_id="seller_api_keys_create",
        opt={"owner": True, LOCATION: "/seller/v1/api-keys/{content.id}"},
    )
    async def create_api_key(self, data: ApiKeyIn, principal: SellerPrincipal) -> ApiKeyOut:
        """Create an API key (owner only); `secret` is shown this once."""
        key, secret = await service.create_api_key(principal.seller_id, data.name, list(data.scopes))
        return api_key_out(key, secret)

    @delete("/api-keys/{key_id:str}", operation_id="seller_api_keys_revoke", opt=REVOKE, status_code=200)
    async def revoke_api_key(self, key_id: str, principal: SellerPrincipal) -> ApiKeyOut:
        """Revoke an API key (owner only); it stops working at once."""
        return api_key_out(await service.revoke_api_key(principal.seller_id, key_id))


class AdminSellerController(Controller):
    """Operators verify sellers and register households on their behalf."""

    path = "/admin/v1/sellers"
    tags = ["admin: sellers"]
    dependencies = {"operator": Provide(provide_operator)}

    @post("/", operation_id="admin_sellers_register", opt={LOCATION: "/admin/v1/sellers/{content.seller.id}"})
    async def register(self, data: SellerRegistrationOnBehalf, operator: OperatorPrincipal) -> RegistrationOut:
        """Register a (phone-only) household; hand the owner the invitation token to set a password."""
        seller, invitation, token = await service.register_on_behalf(data, operator.operator_id)
        return RegistrationOut(seller=seller_out(seller), owner_invitation=invitation_out(invitation, token))

    @get("/", operation_id="admin_sellers_list")
    async def list_sellers(
        self,
        operator: OperatorPrincipal,
        status: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[SellerOut]:
        """Every seller, filtered by status."""
        after = decode_cursor(cursor, 1)[0] if cursor else None
        rows = await service.list_sellers(status, after, limit)
        return page_of([seller_out(row) for row in rows], limit, lambda last: encode_cursor(last.id))

    @get("/{seller_id:str}", operation_id="admin_sellers_get")
    async def get_seller(self, seller_id: str, operator: OperatorPrincipal) -> SellerOut:
        """One seller."""
        return seller_out(await service.get(seller_id))

    @get("/{seller_id:str}/status-history", operation_id="admin_sellers_status_history")
    async def status_history(
        self, seller_id: str, operator: OperatorPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[StatusChangeOut]:
        """A seller's verification changes, newest first, each with who and why."""
        return _history_page(await status.history(seller_id, decode_position(cursor), limit + 1), limit)

    @post("/{seller_id:str}/approve", operation_id="admin_sellers_approve", status_code=200)
    async def approve(self, seller_id: str, operator: OperatorPrincipal, data: ApprovalIn | None = None) -> SellerOut:
        """Approve a pending seller (optionally saying why): its active products become public."""
        reason = data.reason if data else None
        return seller_out(await status.transition(seller_id, "approve", reason, _actor(operator)))

    @post("/{seller_id:str}/suspend", operation_id="admin_sellers_suspend", status_code=200)
    async def suspend(self, seller_id: str, data: ReasonIn, operator: OperatorPrincipal) -> SellerOut:
        """Suspend an approved seller with a reason: its products leave the storefront and search."""
        return seller_out(await status.transition(seller_id, "suspend", data.reason, _actor(operator)))

    @post("/{seller_id:str}/reinstate", operation_id="admin_sellers_reinstate", status_code=200)
    async def reinstate(self, seller_id: str, data: ReasonIn, operator: OperatorPrincipal) -> SellerOut:
        """Reinstate a suspended seller with a reason (kept in its status history and the audit trail)."""
        return seller_out(await status.transition(seller_id, "reinstate", data.reason, _actor(operator)))


class PublicSellerController(Controller):
    """Sellers as buyers see them."""

    path = "/api/v1/sellers"
    tags = ["storefront"]

    @get("/{slug:str}", operation_id="storefront_seller_get")
    async def get_seller(self, slug: str) -> SellerCard:
        """An approved seller's public profile."""
        return seller_card(await service.get_public(slug))
