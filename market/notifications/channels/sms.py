"""SMS through a brandname provider, behind `SmsProvider` (one implementation: the HTTP API of
`market.simulators.sms`; a real provider is another class with the same `submit`).

What goes by SMS is transactional (an order's status). A promotional message (a `promotional` kind) obeys Decree
91/2020 on spam: prefixed `[QC]`, only between 07:00 and 22:00 Vietnamese time (outside, it is deferred to the next
07:00) and at most 3 a number a day (the provider counts; when it says the cap is reached, deferred to tomorrow).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Protocol

import httpx

from market.core import clock
from market.core.clock import VIETNAM
from market.notifications.channels.base import Begin, Deferred, Outgoing, Refused, Superseded, Unavailable
from market.notifications.kinds import Channel
from market.settings import Settings

QUIET_END, QUIET_START = time(7), time(22)
"""Promotional messages only from 07:00 to 22:00 in Vietnam (Decree 91/2020, art. 12)."""
PROMO_PREFIX = "[QC] "


def next_allowed(now: datetime) -> datetime | None:
    """None when a promotional message may go at `now`; else the next 07:00 in Vietnam."""
    local = now.astimezone(VIETNAM)
    if QUIET_END <= local.time() < QUIET_START:
        return None
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, VIETNAM)


def tomorrow_morning(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(VIETNAM).date() + timedelta(days=1), QUIET_END, VIETNAM)


class SmsProvider(Protocol):
    async def submit(self, to: str, text: str, promotional: bool, request_id: str) -> dict[str, Any]:
        """Submit one SMS; returns the provider's answer (`{"id": ...}`) or raises the channel's errors."""
        ...

    async def close(self) -> None: ...


class HttpSmsProvider:
    """`POST <base>/v1/messages` with a bearer API key: `{"to", "text", "brandname", "type", "request_id"}`."""

    def __init__(self, settings: Settings) -> None:
        assert settings.sms_api_base and settings.sms_api_key
        self.brandname = settings.sms_brandname
        self.client = httpx.AsyncClient(base_url=settings.sms_api_base, timeout=settings.notify_timeout_s,
                                        headers={"Authorization": f"Bearer {settings.sms_api_key}"})  # fmt: skip

    async def submit(self, to: str, text: str, promotional: bool, request_id: str) -> dict[str, Any]:
        body = {"to": to, "text": text, "brandname": self.brandname, "request_id": request_id,
                "type": "promotional" if promotional else "transactional"}  # fmt: skip
        try:
            answer = await self.client.post("/v1/messages", json=body)
        except httpx.HTTPError as exc:
            raise Unavailable(f"SMS: {exc!r}") from exc
        if answer.status_code >= 500:
            raise Unavailable(f"SMS HTTP {answer.status_code}")
        result: dict[str, Any] = answer.json() if answer.content else {}
        if answer.status_code == 429 and result.get("code") == "daily_cap_reached":
            raise Deferred(tomorrow_morning(clock.now()), "3 promotional SMS today already")
        if answer.status_code == 422 and result.get("code") == "quiet_hours":
            raise Deferred(next_allowed(clock.now()) or tomorrow_morning(clock.now()), "quiet hours")
        if answer.status_code >= 400:
            raise (Unavailable if answer.status_code in (401, 429) else Refused)(
                f"SMS HTTP {answer.status_code}: {result.get('code')}"
            )
        return result

    async def close(self) -> None:
        await self.client.aclose()


class SmsSender:
    name: Channel = "sms"
    idempotent = True  # a repeated request_id answers the first message's id

    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    async def send(self, message: Outgoing, begin: Begin) -> str:
        text = message.rendered.sms
        promotional = message.kind.promotional
        if promotional:
            until = next_allowed(clock.now())
            if until is not None:
                raise Deferred(until, "quiet hours (22:00-07:00)")
            text = PROMO_PREFIX + text.removeprefix(PROMO_PREFIX)
        if not await begin():
            raise Superseded(message.delivery_id)
        result = await self.provider.submit(message.address, text, promotional, message.delivery_id)
        return str(result["id"])

    async def close(self) -> None:
        await self.provider.close()
