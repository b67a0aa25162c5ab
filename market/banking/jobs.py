"""Bank transfer jobs of the worker: flag the short transfers of orders that expired, and reconcile with the
provider's transaction list (SePay's `GET /userapi/transactions/list`) when webhooks were missed."""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from market.banking import feeds, service
from market.core.errors import DependencyUnavailable
from market.core.events import Event, registry
from market.core.resources import current
from market.settings import Settings

log = structlog.get_logger(__name__)
LIST_LIMIT = 5000


@registry.on("order.expired", name="banking.refund_short_credits")
async def refund_short_credits(event: Event) -> None:
    """An order expired with only part of its price transferred: that money goes back."""
    await service.refund_short_credits(event.payload["order_id"])


async def transactions(settings: Settings) -> list[dict[str, Any]]:
    """The provider's latest transactions on the collection account."""
    url = f"{(settings.bank_feed_api_base or '').rstrip('/')}/userapi/transactions/list"
    params: dict[str, str | int] = {"account_number": settings.bank_account or "", "limit": LIST_LIMIT}
    headers = {"Authorization": f"Bearer {settings.bank_feed_api_token or ''}"}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(url, params=params, headers=headers)
            answer.raise_for_status()
    except httpx.HTTPError as exc:
        raise DependencyUnavailable(
            "bank_feed", f"The bank feed's list is unavailable ({type(exc).__name__})."
        ) from exc
    found = answer.json().get("transactions") or []
    return [entry for entry in found if isinstance(entry, dict) and entry.get("id") is not None]


async def reconcile_once(settings: Settings) -> tuple[int, int]:
    """Store (and match) every listed transaction not stored yet; returns (listed, added)."""
    if not (settings.bank_transfers and settings.bank_feed_api_base):
        return 0, 0
    listed = await transactions(settings)
    added = 0
    for entry in listed:
        try:
            credit = feeds.parse_sepay(feeds.sepay_from_list(entry))
        except (feeds.Unreadable, KeyError, ValueError):
            log.warning("bank_feed_entry_unreadable", entry_id=str(entry.get("id")))
            continue
        added += int(await service.receive(credit, settings.bank_reference_prefix) is not None)
    if added:
        log.info("bank_credits_reconciled", added=added, listed=len(listed))
    return len(listed), added


async def reconcile(ctx: Any = None) -> int:
    """SAQ cron job, every ten minutes: credits the webhooks missed."""
    try:
        return (await reconcile_once(current().settings))[1]
    except DependencyUnavailable:
        log.warning("bank_feed_list_unavailable")
        return 0
