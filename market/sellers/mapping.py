"""Rows to response schemas for sellers."""

from __future__ import annotations

from typing import Any

from market.core.schemas import rfc3339
from market.geo.service import province_out, ward_out
from market.sellers.schemas import (
    AddressOut,
    ApiKeyOut,
    InvitationOut,
    MemberOut,
    SellerCard,
    SellerOut,
    StatusChangeOut,
)
from market.sellers.status import StatusChange
from market.sellers.tables import ApiKey, Seller, SellerInvitation, SellerMember


def _address(data: dict[str, Any]) -> AddressOut:
    return AddressOut(
        street=data["street"],
        ward=ward_out(data["ward_code"]),
        province=province_out(data["province_code"]),
        contact_name=data["contact_name"],
        phone=data["phone"],
    )


def seller_out(seller: Seller) -> SellerOut:
    pickup = seller.pickup_address
    return SellerOut(
        id=seller.id,
        kind=seller.kind,
        display_name=seller.display_name,
        slug=seller.slug,
        legal_name=seller.legal_name,
        tax_code=seller.tax_code,
        phone=seller.phone,
        email=seller.email,
        province=province_out(seller.province_code),
        ward=ward_out(seller.ward_code),
        pickup_address=_address(pickup if isinstance(pickup, dict) else _json(pickup)),
        description=seller.description,
        status=seller.status,
        status_reason=seller.status_reason,
        created_at=rfc3339(seller.created_at),
        personal_id=seller.personal_id,
    )


def seller_card(seller: Seller) -> SellerCard:
    return seller_card_of(seller.to_dict())


def seller_card_of(row: dict[str, Any], prefix: str = "") -> SellerCard:
    """A seller card from a row of seller columns, named with `prefix` when they come from a join."""
    return SellerCard(
        id=row[f"{prefix}id"],
        slug=row[f"{prefix}slug"],
        display_name=row[f"{prefix}display_name"],
        kind=row[f"{prefix}kind"],
        province=province_out(row[f"{prefix}province_code"]),
        ward=ward_out(row[f"{prefix}ward_code"]),
        description=row[f"{prefix}description"],
    )


def member_out(member: SellerMember) -> MemberOut:
    account = member.account
    return MemberOut(
        id=member.id,
        account_id=account.id,
        name=account.name,
        email=account.email,
        phone=account.phone,
        role=member.role,
        created_at=rfc3339(member.created_at),
    )


def api_key_out(key: ApiKey, secret: str | None = None) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        scopes=list(key.scopes),
        last4=key.last4,
        created_at=rfc3339(key.created_at),
        last_used_at=rfc3339(key.last_used_at),
        revoked_at=rfc3339(key.revoked_at),
        secret=secret,
    )


def invitation_out(invitation: SellerInvitation, token: str) -> InvitationOut:
    return InvitationOut(invitation.id, token, invitation.role, rfc3339(invitation.expires_at))


def status_change_out(change: StatusChange) -> StatusChangeOut:
    return StatusChangeOut(
        id=change.change_id,
        from_status=change.from_status,
        to_status=change.to_status,
        reason=change.reason,
        actor=change.actor,
        at=rfc3339(change.at),
    )


def _json(value: Any) -> dict[str, Any]:
    import json

    loaded: dict[str, Any] = json.loads(value)
    return loaded
