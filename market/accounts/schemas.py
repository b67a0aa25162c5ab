"""What crosses HTTP for buyer accounts, sessions and address books."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from market.core.schemas import Input, Name, UnitOut

Identifier = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
Password = Annotated[str, msgspec.Meta(max_length=200)]
Client = Literal["web", "mobile"]
Street = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Phone = Annotated[str, msgspec.Meta(max_length=20)]
ProvinceCode = Annotated[int, msgspec.Meta(ge=1, le=99)]
WardCode = Annotated[int, msgspec.Meta(ge=1, le=99_999)]


class RegistrationIn(Input):
    identifier: Identifier
    name: Name
    password: Password
    client: Client = "web"


class LoginIn(Input):
    identifier: Identifier
    password: Password
    client: Client = "web"


class PasswordChangeIn(Input):
    """The new session keeps the caller's transport: a cookie for a cookie, a token for a bearer token."""

    current_password: Password
    new_password: Password


class AccountDeletionIn(Input):
    password: Password


class AccountOut(msgspec.Struct):
    """A buyer's own account. Its id (`acc_`) is the customer id: the same account also signs in to sellers."""

    id: str
    email: str | None
    phone: str | None
    name: str
    created_at: str | None
    object: str = "account"


class SessionOut(msgspec.Struct):
    """A new session. `token` is the bearer token for mobile clients; web clients get the cookie instead."""

    account: AccountOut
    client: str
    token: str | None
    expires_in: int
    merged_cart_lines: int | None = None
    object: str = "session"


class RegistrationOut(msgspec.Struct):
    account: AccountOut
    session: SessionOut
    object: str = "account_registration"


class ShippingAddressIn(Input):
    """Where a parcel goes: recipient, mobile phone, street line, ward and province (codes of the units catalog)."""

    recipient_name: Name
    phone: Phone
    street: Street
    ward_code: WardCode
    province_code: ProvinceCode


class AddressIn(ShippingAddressIn):
    """An address-book entry."""

    is_default: bool = False


class AddressUpdate(Input):
    recipient_name: Name | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType = msgspec.UNSET
    street: Street | msgspec.UnsetType = msgspec.UNSET
    ward_code: WardCode | msgspec.UnsetType = msgspec.UNSET
    province_code: ProvinceCode | msgspec.UnsetType = msgspec.UNSET
    is_default: bool | msgspec.UnsetType = msgspec.UNSET


class AddressOut(msgspec.Struct):
    id: str
    recipient_name: str
    phone: str
    street: str
    ward: UnitOut
    province: UnitOut
    units_version: str
    is_default: bool
    created_at: str | None
    updated_at: str | None
    object: str = "address"
