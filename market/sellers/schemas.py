"""What crosses HTTP for sellers, members and API keys."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from market.core.schemas import Code, Input, LongText, Name, Reason, UnitOut

Kind = Literal["household", "cooperative", "enterprise"]
Role = Literal["owner", "staff"]
Scope = Literal["catalog:write", "orders:read", "orders:write", "money:read"]
SCOPES: tuple[Scope, ...] = ("catalog:write", "orders:read", "orders:write", "money:read")
Identifier = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Password = Annotated[str, msgspec.Meta(max_length=200)]


class AddressIn(Input):
    street: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    ward_code: Code
    province_code: Annotated[int, msgspec.Meta(ge=1, le=99)]
    contact_name: Name
    phone: Annotated[str, msgspec.Meta(max_length=20)]


class OwnerIn(Input):
    identifier: Identifier
    name: Name
    password: Password


class OwnerOnBehalfIn(Input):
    identifier: Identifier
    name: Name


class SellerFields(Input):
    kind: Kind
    display_name: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    legal_name: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
    phone: Annotated[str, msgspec.Meta(max_length=20)]
    province_code: Annotated[int, msgspec.Meta(ge=1, le=99)]
    ward_code: Code
    pickup_address: AddressIn
    tax_code: Annotated[str, msgspec.Meta(max_length=14)] | None = None
    personal_id: Annotated[str, msgspec.Meta(max_length=12)] | None = None
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    description: LongText = ""


class SellerRegistration(SellerFields, kw_only=True):
    owner: OwnerIn


class SellerRegistrationOnBehalf(SellerFields, kw_only=True):
    owner: OwnerOnBehalfIn


class SellerUpdate(Input):
    display_name: Annotated[str, msgspec.Meta(min_length=2, max_length=120)] | msgspec.UnsetType = msgspec.UNSET
    phone: Annotated[str, msgspec.Meta(max_length=20)] | msgspec.UnsetType = msgspec.UNSET
    email: Annotated[str, msgspec.Meta(max_length=254)] | msgspec.UnsetType | None = msgspec.UNSET
    pickup_address: AddressIn | msgspec.UnsetType = msgspec.UNSET
    description: LongText | msgspec.UnsetType = msgspec.UNSET
    tax_code: Annotated[str, msgspec.Meta(max_length=14)] | msgspec.UnsetType | None = msgspec.UNSET
    personal_id: Annotated[str, msgspec.Meta(max_length=12)] | msgspec.UnsetType | None = msgspec.UNSET


class AddressOut(msgspec.Struct):
    street: str
    ward: UnitOut
    province: UnitOut
    contact_name: str
    phone: str


class SellerOut(msgspec.Struct):
    """A seller as its members and operators see it."""

    id: str
    kind: str
    display_name: str
    slug: str
    legal_name: str
    tax_code: str | None
    phone: str
    email: str | None
    province: UnitOut
    ward: UnitOut
    pickup_address: AddressOut
    description: str
    status: str
    status_reason: str | None
    created_at: str | None
    personal_id: str | None = None  # the owner's citizen id (CCCD), for the tax the platform withholds
    object: str = "seller"


class SellerCard(msgspec.Struct):
    """A seller as buyers see it."""

    id: str
    slug: str
    display_name: str
    kind: str
    province: UnitOut
    ward: UnitOut
    description: str
    object: str = "seller"


class LoginIn(Input):
    identifier: Identifier
    password: Password
    seller: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class SessionOut(msgspec.Struct):
    token: str
    account_id: str
    seller_id: str
    role: str
    expires_in: int
    object: str = "session"


class RegistrationOut(msgspec.Struct):
    seller: SellerOut
    session: SessionOut | None = None
    owner_invitation: InvitationOut | None = None
    object: str = "seller_registration"


class InvitationIn(Input):
    identifier: Identifier
    role: Literal["staff"] = "staff"


class InvitationOut(msgspec.Struct):
    id: str
    token: str
    role: str
    expires_at: str | None
    object: str = "invitation"


class AcceptInvitationIn(Input):
    token: Annotated[str, msgspec.Meta(max_length=100)]
    name: Name
    password: Password


class MemberOut(msgspec.Struct):
    id: str
    account_id: str
    name: str
    email: str | None
    phone: str | None
    role: str
    created_at: str | None
    object: str = "member"


class ApiKeyIn(Input):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=len(SCOPES))]


class ApiKeyOut(msgspec.Struct):
    id: str
    name: str
    scopes: list[str]
    last4: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    secret: str | None = None
    object: str = "api_key"


class ApprovalIn(Input):
    """An approval may say why (e.g. which papers were checked)."""

    reason: Reason | None = None


class StatusChangeOut(msgspec.Struct):
    """One move of a seller between statuses: who (`operator:opr_...`), when and why (kept for every move)."""

    id: str
    from_status: str
    to_status: str
    reason: str | None
    actor: str
    at: str | None
    object: str = "seller_status_change"
