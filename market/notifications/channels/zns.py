"""Zalo ZNS (Zalo Notification Service): an approved template filled with data, to a phone number.

The documented call: `POST <base>/message/template` with the Official Account's `access_token` header and the body
`{"phone": "84912345678", "template_id": "...", "template_data": {...}, "tracking_id": "..."}`; the answer is
`{"error": 0, "message": "Success", "data": {"msg_id": ..., "sent_time": ..., "quota": {...}}}`, or a negative
`error` (Zalo's table of codes). `tracking_id` is the delivery's id, so a repeat is recognisable: the simulator
answers it with the first message's `msg_id`, and the delivery loop relies on that to send again after an unknown
outcome (see the README on what each channel guarantees).
"""

from __future__ import annotations

from typing import Any

import httpx

from market.notifications.channels.base import Begin, Outgoing, Refused, Superseded, Unavailable
from market.notifications.kinds import Channel
from market.settings import Settings

PARAM_MAX = 100
"""Our own cap on a parameter's length (Zalo's templates declare theirs; ours fit within them)."""
REFUSED = {-108, -109, -111, -112, -115, -117, -118, -119, -144}
"""Codes that no retry will change: phone, template or data invalid, user cannot receive, daily quota spent."""


def template_data(message: Outgoing) -> dict[str, str]:
    """The template's parameters, from the message's data (stringified, capped)."""
    data: dict[str, str] = {}
    for name in message.kind.zns_params:
        value = str(message.data.get(name, ""))
        data[name] = value if len(value) <= PARAM_MAX else value[: PARAM_MAX - 1] + "…"
    return data


class ZnsSender:
    """The ZNS client (one pooled HTTP client)."""

    name: Channel = "zns"
    idempotent = True  # a repeated tracking_id answers the first message's msg_id

    def __init__(self, settings: Settings) -> None:
        assert settings.zns_api_base and settings.zns_access_token
        self.client = httpx.AsyncClient(base_url=settings.zns_api_base, timeout=settings.notify_timeout_s,
                                        headers={"access_token": settings.zns_access_token})  # fmt: skip

    async def send(self, message: Outgoing, begin: Begin) -> str:
        if not await begin():
            raise Superseded(message.delivery_id)
        body = {"phone": message.address, "template_id": message.kind.zns_template_id(message.language),
                "template_data": template_data(message), "tracking_id": message.delivery_id}  # fmt: skip
        try:
            answer = await self.client.post("/message/template", json=body)
        except httpx.HTTPError as exc:
            raise Unavailable(f"ZNS: {exc!r}") from exc
        if answer.status_code >= 500 or answer.status_code == 429:
            raise Unavailable(f"ZNS HTTP {answer.status_code}")
        try:
            result: dict[str, Any] = answer.json()
        except ValueError as exc:
            raise Unavailable(f"ZNS HTTP {answer.status_code}: not JSON") from exc
        error = int(result.get("error", -100))
        if error == 0:
            return str(result["data"]["msg_id"])
        reason = f"ZNS {error}: {result.get('message', '')}"
        raise Refused(reason) if error in REFUSED else Unavailable(reason)

    async def close(self) -> None:
        await self.client.aclose()
