"""Sellers: registration, profile, verification status, members, invitations and API keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from market.accounts.service import (
    Identifier,
    authenticate,
    create_account,
    identifier,
    normalise_email,
    normalise_phone,
    set_password,
)
from market.accounts.tables import Account
from market.audit import service as audit
from market.core import clock
from market.core.db import transaction
from market.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed, field_error
from market.core.ids import new_id
from market.core.outbox.service import record
from market.core.security import digest, new_token
from market.core.text import nfc, slugify
from market.geo.service import place_errors
from market.sellers.schemas import AddressIn, SellerFields, SellerRegistration, SellerRegistrationOnBehalf
from market.sellers.tables import ApiKey, Seller, SellerInvitation, SellerMember

_TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")
_PERSONAL_ID = re.compile(r"^0(0[1-9]|[1-8]\d|9[0-6])\d{9}$")  # CCCD: province of registration 001-096, 9 digits
INVITATION_TTL = timedelta(days=7)


def _address_errors(address: AddressIn, path: str) -> list[FieldError]:
    errors = place_errors(address.province_code, address.ward_code, f"{path}.")
    errors.extend(_collect(lambda: normalise_phone(address.phone, f"{path}.phone")))
    return errors


def _collect(check: Any) -> list[FieldError]:
    try:
        check()
    except ValidationFailed as exc:
        return list(exc.errors)
    return []


def _seller_errors(data: SellerFields) -> list[FieldError]:
    errors = _collect(lambda: normalise_phone(data.phone, "phone"))
    if data.email is not None:
        errors += _collect(lambda: normalise_email(data.email or "", "email"))
    if data.kind != "household" and not data.tax_code:
        errors.append(FieldError("tax_code", "required", "Cooperatives and enterprises need a tax code."))
    errors += _identity_errors(data.tax_code, data.personal_id)
    errors += place_errors(data.province_code, data.ward_code)
    return errors + _address_errors(data.pickup_address, "pickup_address")


def _identity_errors(tax_code: str | None, personal_id: str | None) -> list[FieldError]:
    """A tax code and a personal id number (CCCD, 12 digits), each checked when given: a household seller whose
    tax the platform withholds declares with one of them (the ledger's tax report shows which is missing)."""
    errors = []
    if tax_code and not _TAX_CODE.match(tax_code):
        errors.append(FieldError("tax_code", "invalid_tax_code", "10 digits, or 10 digits and -3 digits."))
    if personal_id and not _PERSONAL_ID.match(personal_id):
        errors.append(FieldError("personal_id", "invalid_personal_id", "12 digits of a citizen identity card."))
    return errors


def _pickup(address: AddressIn) -> dict[str, Any]:
    return {
        "street": nfc(address.street),
        "ward_code": address.ward_code,
        "province_code": address.province_code,
        "contact_name": nfc(address.contact_name),
        "phone": normalise_phone(address.phone, "pickup_address.phone"),
    }


async def _unique_slug(name: str) -> str:
    base = slugify(name, max_length=90)
    taken = {row["slug"] for row in await Seller.select(Seller.slug).where(Seller.slug.like(f"{base}%")).run()}
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


async def _insert_seller(data: SellerFields, owner: Account, actor: str) -> tuple[Seller, SellerMember]:
    seller = Seller(
        id=new_id("sel"),
        kind=data.kind,
        display_name=nfc(data.display_name),
        slug=await _unique_slug(data.display_name),
        legal_name=nfc(data.legal_name),
        tax_code=data.tax_code,
        personal_id=data.personal_id,
        phone=normalise_phone(data.phone),
        email=normalise_email(data.email) if data.email else None,
        province_code=data.province_code,
        ward_code=data.ward_code,
        pickup_address=_pickup(data.pickup_address),
        description=nfc(data.description),
        status="pending",
    )
    await seller.save().run()
    member = await _add_member(seller.id, owner.id, "owner")
    await record("seller.registered", {"seller_id": seller.id, "actor": actor})
    return seller, member


async def _add_member(seller_id: str, account_id: str, role: str) -> SellerMember:
    if await SellerMember.exists().where(SellerMember.membership_key == f"{seller_id}:{account_id}").run():
        raise Conflict("This person is already a member.", code="already_member")
    member = SellerMember(
        id=new_id("mem"), seller=seller_id, account=account_id, membership_key=f"{seller_id}:{account_id}", role=role
    )
    await member.save().run()
    return member


def _validated_owner(data: SellerFields, owner_identifier: str) -> Identifier:
    """Every problem of a registration at once, or the owner's normalised identifier."""
    errors = _seller_errors(data)
    try:
        who = identifier(owner_identifier, "owner.identifier")
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return who


async def register_self(data: SellerRegistration) -> tuple[Seller, SellerMember]:
    """A seller registers itself with its owner's account; it stays pending until an operator approves it."""
    who = _validated_owner(data, data.owner.identifier)
    async with transaction():
        account = await create_account(who, data.owner.name, data.owner.password)
        return await _insert_seller(data, account, actor=account.id)


async def register_on_behalf(
    data: SellerRegistrationOnBehalf, operator_id: str
) -> tuple[Seller, SellerInvitation, str]:
    """An operator registers a (phone-only) household; the owner sets a password with the returned one-time token
    (an invitation like any other: its own id, expiring after `INVITATION_TTL`). Audited as `seller.registered`."""
    who = _validated_owner(data, data.owner.identifier)
    actor = audit.operator_actor(operator_id)
    async with transaction():
        account = await create_account(who, data.owner.name, None)
        seller, _ = await _insert_seller(data, account, actor=actor)
        invitation, token = await _create_invitation(seller.id, who, "owner")
        details = {"kind": seller.kind, "owner_account_id": account.id, "invitation_id": invitation.id}
        await audit.record(actor, "seller.registered", "seller", seller.id, details=details)
        return seller, invitation, token


async def get(seller_id: str) -> Seller:
    seller = await Seller.objects().where(Seller.id == seller_id).first().run()
    if seller is None:
        raise NotFound("No such seller.")
    return seller


async def get_public(slug: str) -> Seller:
    """An approved seller by slug; anything else is a 404."""
    seller = await Seller.objects().where((Seller.slug == slug) & (Seller.status == "approved")).first().run()
    if seller is None:
        raise NotFound("No such seller.")
    return seller


async def list_sellers(status: str | None, after: str | None, limit: int) -> list[Seller]:
    query = Seller.objects().order_by(Seller.id).limit(limit + 1)
    if status:
        query = query.where(Seller.status == status)
    if after:
        query = query.where(Seller.id > after)
    return list(await query.run())


async def update(seller_id: str, changes: dict[str, Any]) -> Seller:
    """Change the profile; the slug stays, so links keep working."""
    errors: list[FieldError] = []
    values: dict[Any, Any] = {}
    if "display_name" in changes:
        values[Seller.display_name] = nfc(changes["display_name"])
    if "description" in changes:
        values[Seller.description] = nfc(changes["description"])
    if "phone" in changes:
        errors += _collect(lambda: values.__setitem__(Seller.phone, normalise_phone(changes["phone"])))
    if "email" in changes:
        email = changes["email"]
        errors += _collect(lambda: values.__setitem__(Seller.email, normalise_email(email) if email else None))
    for name, column in (("tax_code", Seller.tax_code), ("personal_id", Seller.personal_id)):
        if name in changes:
            found = _identity_errors(**{"tax_code": None, "personal_id": None, name: changes[name]})
            errors += found
            if not found:
                values[column] = changes[name] or None
    if "pickup_address" in changes:
        address: AddressIn = changes["pickup_address"]  # the PATCH body's own struct, decoded and typed
        errors += _address_errors(address, "pickup_address")
        if not errors:
            values[Seller.pickup_address] = _pickup(address)
    if errors:
        raise ValidationFailed(errors)
    async with transaction():
        seller = await get(seller_id)
        if "tax_code" in changes and not changes["tax_code"] and seller.kind != "household":
            raise ValidationFailed(
                [FieldError("tax_code", "required", "Cooperatives and enterprises need a tax code.")]
            )
        if values:
            values[Seller.updated_at] = datetime.now(UTC)
            values[Seller.version] = Seller.version + 1
            await Seller.update(values).where(Seller.id == seller_id).run()
            await record("seller.updated", {"seller_id": seller_id})
        return await get(seller.id)


async def login(identifier_value: str, password: str, seller_slug: str | None) -> tuple[Account, SellerMember]:
    """A member's credentials and the seller they sign in to (the only one, or the one named)."""
    account = await authenticate(identifier(identifier_value), password)
    query = SellerMember.objects(SellerMember.seller).where(SellerMember.account == account.id)
    members = list(await query.run())
    if seller_slug:
        members = [m for m in members if m.seller.slug == seller_slug]
    if not members:
        raise Forbidden("This account is not a member of that seller.", code="not_a_member")
    if len(members) > 1:
        raise field_error("seller", "required", "This account belongs to several sellers: name one by slug.")
    return account, members[0]


async def is_suspended(seller_id: str) -> bool:
    """Whether the seller is suspended (its principals read but do not write)."""
    return bool(await Seller.exists().where((Seller.id == seller_id) & (Seller.status == "suspended")).run())


async def membership(account_id: str, seller_id: str) -> SellerMember | None:
    key = f"{seller_id}:{account_id}"
    found: SellerMember | None = await SellerMember.objects().where(SellerMember.membership_key == key).first().run()
    return found


async def _create_invitation(seller_id: str, who: Identifier, role: str) -> tuple[SellerInvitation, str]:
    """A new invitation and its one-time token (only the token's digest is stored)."""
    token = new_token("inv", 24)
    invitation = SellerInvitation(
        id=new_id("inv"),
        seller=seller_id,
        email=who.email,
        phone=who.phone,
        role=role,
        token_digest=digest(token),
        expires_at=clock.now() + INVITATION_TTL,
    )
    await invitation.save().run()
    return invitation, token


async def invite(seller_id: str, identifier_value: str, role: str) -> tuple[SellerInvitation, str]:
    """The owner invites a person by email or phone; the one-time token is returned once."""
    who = identifier(identifier_value)
    async with transaction():
        return await _create_invitation(seller_id, who, role)


async def accept_invitation(token: str, name: str, password: str) -> tuple[Account, SellerMember]:
    """Join with an invitation: a new account is created, or an existing one (by the invited identifier) gets the
    password it lacked; an owner invitation made by an operator sets the household's first password."""
    async with transaction():
        rows = await SellerInvitation.raw(
            "SELECT * FROM seller_invitation WHERE token_digest = {} AND accepted_at IS NULL "
            "AND expires_at > {} FOR UPDATE",
            digest(token),
            clock.now(),
        ).run()
        if not rows:
            raise NotFound("This invitation is unknown, used or expired.", code="invitation_invalid")
        invitation = rows[0]
        who = Identifier(invitation["email"], invitation["phone"])
        where = (Account.email == who.email) if who.email else (Account.phone == who.phone)
        account = await Account.objects().where(where).first().run()
        if account is None:
            account = await create_account(who, name, password)
        elif account.password_hash is None:
            await set_password(account.id, password)
        else:
            account = await authenticate(who, password)
        existing = await membership(account.id, invitation["seller"])
        member = existing or await _add_member(invitation["seller"], account.id, invitation["role"])
        await (
            SellerInvitation.update({SellerInvitation.accepted_at: datetime.now(UTC)})
            .where(SellerInvitation.id == invitation["id"])
            .run()
        )
        return account, member


async def list_members(seller_id: str) -> list[SellerMember]:
    query = SellerMember.objects(SellerMember.account).where(SellerMember.seller == seller_id)
    return list(await query.order_by(SellerMember.created_at).run())


async def remove_member(seller_id: str, member_id: str) -> None:
    member = (
        await SellerMember.objects().where((SellerMember.id == member_id) & (SellerMember.seller == seller_id)).first()
    )
    if member is None:
        raise NotFound("No such member.")
    if member.role == "owner":
        raise Conflict("The owner cannot be removed.", code="owner_cannot_be_removed")
    await SellerMember.delete().where(SellerMember.id == member_id).run()


async def create_api_key(seller_id: str, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key; its secret (`mks_...`) is returned once and only its digest is kept."""
    secret = new_token("mks", 30)
    key = ApiKey(
        id=new_id("key"),
        seller=seller_id,
        name=nfc(name),
        scopes=sorted(set(scopes)),
        token_digest=digest(secret),
        last4=secret[-4:],
    )
    await key.save().run()
    return key, secret


async def list_api_keys(seller_id: str) -> list[ApiKey]:
    return list(await ApiKey.objects().where(ApiKey.seller == seller_id).order_by(ApiKey.created_at).run())


async def revoke_api_key(seller_id: str, key_id: str) -> ApiKey:
    updated = await ApiKey.raw(
        "UPDATE seller_api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = {} AND seller = {} RETURNING id",
        key_id,
        seller_id,
    ).run()
    if not updated:
        raise NotFound("No such API key.")
    key = await ApiKey.objects().where(ApiKey.id == key_id).first().run()
    assert key is not None
    return key


async def resolve_api_key(secret: str) -> tuple[str, str, frozenset[str]] | None:
    """(seller id, key id, scopes) of a live key, recording its use at most once a minute; None otherwise."""
    rows = await ApiKey.raw(
        "WITH k AS (SELECT id, seller, scopes, last_used_at FROM seller_api_key "
        "WHERE token_digest = {} AND revoked_at IS NULL), "
        "touched AS (UPDATE seller_api_key SET last_used_at = now() WHERE id IN "
        "(SELECT id FROM k WHERE last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')) "
        "SELECT id, seller, scopes FROM k",
        digest(secret),
    ).run()
    if not rows:
        return None
    key = rows[0]
    return key["seller"], key["id"], frozenset(key["scopes"])
