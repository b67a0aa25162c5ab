"""Rows to response schemas for buyer accounts and address books."""

from __future__ import annotations

from market.accounts.schemas import AccountOut, AddressOut
from market.accounts.tables import Account, Address
from market.core.schemas import rfc3339
from market.geo.service import province_out, ward_out


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        email=account.email,
        phone=account.phone,
        name=account.name,
        created_at=rfc3339(account.created_at),
    )


def address_out(address: Address) -> AddressOut:
    return AddressOut(
        id=address.id,
        recipient_name=address.recipient_name,
        phone=address.phone,
        street=address.street,
        ward=ward_out(address.ward_code),
        province=province_out(address.province_code),
        units_version=address.units_version,
        is_default=address.is_default,
        created_at=rfc3339(address.created_at),
        updated_at=rfc3339(address.updated_at),
    )
