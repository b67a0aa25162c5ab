"""A buyer's address book: recipient, phone (E.164), street line, ward and province of the units catalog.

Ward and province are checked against the administrative units catalog (`market.geo`), and the catalog's version
is stored with each address, so that a later reform or a carrier still on older codes can be mapped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from market.accounts.service import normalise_phone
from market.accounts.tables import Address
from market.core.db import transaction
from market.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.core.ids import new_id
from market.core.text import nfc
from market.geo.service import UNITS_VERSION, place_errors

MAX_ADDRESSES = 20


def _fields(values: dict[str, Any], current: Address | None) -> dict[Any, Any]:
    """Validated, normalised column values of what `values` sets; raises ValidationFailed naming every field."""
    errors: list[FieldError] = []
    columns: dict[Any, Any] = {}
    for name in ("recipient_name", "street"):
        if name in values:
            text = nfc(values[name])
            if not text:
                errors.append(FieldError(name, "required", "Must not be blank."))
            columns[getattr(Address, name)] = text
    if "phone" in values:
        try:
            columns[Address.phone] = normalise_phone(values["phone"])
        except ValidationFailed as exc:
            errors += exc.errors
    if "province_code" in values or "ward_code" in values:
        province_code = values.get("province_code", current.province_code if current else 0)
        ward_code = values.get("ward_code", current.ward_code if current else 0)
        errors += place_errors(province_code, ward_code)
        columns.update({Address.province_code: province_code, Address.ward_code: ward_code})
        columns[Address.units_version] = UNITS_VERSION
    if errors:
        raise ValidationFailed(errors)
    return columns


async def list_addresses(account_id: str) -> list[Address]:
    """The account's addresses, the default first, then oldest first."""
    query = Address.objects().where(Address.account == account_id)
    rows = await query.order_by(Address.is_default, ascending=False).order_by(Address.created_at).run()
    return list(rows)


async def get_address(account_id: str, address_id: str) -> Address:
    """One of the account's addresses; anyone else's, or none, is a 404."""
    found = await Address.objects().where((Address.id == address_id) & (Address.account == account_id)).first().run()
    if found is None:
        raise NotFound("No such address.")
    return found


async def _lock_book(account_id: str) -> None:
    """Serialise changes to one address book (count and default), by locking the account row."""
    await Address.raw("SELECT id FROM account WHERE id = {} FOR UPDATE", account_id).run()


async def add_address(account_id: str, values: dict[str, Any], make_default: bool) -> Address:
    """Add an address; the first one, or one asked to be, becomes the default."""
    columns = _fields(values, None)
    address_id = new_id("adr")
    async with transaction():
        await _lock_book(account_id)
        count = await Address.count().where(Address.account == account_id).run()
        if count >= MAX_ADDRESSES:
            raise Conflict(f"An address book holds at most {MAX_ADDRESSES} addresses.", code="address_book_full")
        default = make_default or count == 0
        if default:
            await Address.update({Address.is_default: False}).where(Address.account == account_id).run()
        row = Address(id=address_id, account=account_id, is_default=default)
        for column, value in columns.items():
            setattr(row, column._meta.name, value)
        await row.save().run()
    return await get_address(account_id, address_id)


async def update_address(account_id: str, address_id: str, values: dict[str, Any]) -> Address:
    """Change some fields; `is_default: true` makes it the default (there is always exactly one while any exist)."""
    current = await get_address(account_id, address_id)
    make_default = values.pop("is_default", None)
    if make_default is False and current.is_default:
        raise Conflict("Make another address the default instead.", code="default_address_required")
    columns = _fields(values, current)
    async with transaction():
        await _lock_book(account_id)
        if make_default:
            await Address.update({Address.is_default: False}).where(Address.account == account_id).run()
            columns[Address.is_default] = True
        columns[Address.updated_at] = datetime.now(UTC)
        updated = (
            await Address.update(columns)
            .where((Address.id == address_id) & (Address.account == account_id))
            .returning(Address.id)
            .run()
        )
        if not updated:
            raise NotFound("No such address.")
    return await get_address(account_id, address_id)


async def delete_address(account_id: str, address_id: str) -> None:
    """Delete an address (personal data: really deleted); the oldest remaining one becomes the default."""
    async with transaction():
        await _lock_book(account_id)
        deleted = (
            await Address.delete()
            .where((Address.id == address_id) & (Address.account == account_id))
            .returning(Address.is_default)
            .run()
        )
        if not deleted:
            raise NotFound("No such address.")
        if deleted[0]["is_default"]:
            oldest = (
                await Address.select(Address.id)
                .where(Address.account == account_id)
                .order_by(Address.created_at)
                .first()
                .run()
            )
            if oldest:
                await Address.update({Address.is_default: True}).where(Address.id == oldest["id"]).run()


def address_snapshot(values: dict[str, Any], field_prefix: str = "") -> dict[str, Any]:
    """A validated, normalised shipping address to copy onto an order (not saved in any book); raises
    ValidationFailed naming each field at fault under `field_prefix`."""
    missing = [name for name in ADDRESS_FIELDS if values.get(name) in (None, "")]
    if missing:
        raise ValidationFailed([FieldError(f"{field_prefix}{name}", "required", "Required.") for name in missing])
    try:
        columns = _fields(values, None)
    except ValidationFailed as exc:
        raise ValidationFailed([FieldError(f"{field_prefix}{e.field}", e.code, e.message) for e in exc.errors]) from exc
    return {column._meta.name: value for column, value in columns.items()}


def snapshot_of(address: Address) -> dict[str, Any]:
    """An address-book entry as an order's shipping address."""
    return {name: getattr(address, name) for name in (*ADDRESS_FIELDS, "units_version")}


ADDRESS_FIELDS = ("recipient_name", "phone", "street", "ward_code", "province_code")
