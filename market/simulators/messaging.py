"""What the ZNS and SMS simulators share: the Vietnamese mobile number form they accept, the request body read
leniently (not JSON: None, for the simulator to refuse in its provider's words), and the test hooks over the
messages a simulator keeps (`GET /_sim/messages` without the stored answers, `POST /_sim/reset`)."""

from __future__ import annotations

import re
from typing import Any, Protocol

from litestar import Request, get, post
from litestar.handlers import HTTPRouteHandler

from market.core.clock import VIETNAM

__all__ = ["PHONE", "VIETNAM", "Kept", "json_or_none", "message_hooks"]

PHONE = re.compile(r"^84[35789]\d{8}$")


class Kept(Protocol):
    messages: list[dict[str, Any]]

    def reset(self) -> None: ...


async def json_or_none(request: Request[Any, Any, Any]) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def message_hooks(state: Kept) -> list[HTTPRouteHandler]:
    """`GET /_sim/messages` (each kept message without its stored answer) and `POST /_sim/reset` over `state`."""

    @get("/_sim/messages", sync_to_thread=False)
    def sim_messages() -> list[dict[str, Any]]:
        return [{k: v for k, v in m.items() if k != "answer"} for m in state.messages]

    @post("/_sim/reset", status_code=200, sync_to_thread=False)
    def sim_reset() -> dict[str, bool]:
        state.reset()
        return {"ok": True}

    return [sim_messages, sim_reset]
