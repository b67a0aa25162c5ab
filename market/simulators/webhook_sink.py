"""A seller's system as far as webhooks go (`market webhook-sink`): it receives deliveries and shows them.

`POST /hooks/{box}` stores what arrived (headers, the exact body, when) in the box and answers 200, or what the
box's behaviour says: `POST /_sink/boxes/{box}/behaviour {"status": 500, "delay_s": 0, "hang": false}` makes it
fail, answer late, or never answer (a hanging receiver). `GET /_sink/boxes/{box}` lists a box's deliveries,
`GET /` every box's latest, `POST /_sink/reset` forgets everything. When a box is given the endpoint's signing
secret (`POST /_sink/boxes/{box}/secret {"secret": "whsec_..."}`) each delivery is shown with whether its
`Market-Signature` verifies. State lives in memory; `deploy/dev run` starts it on port 8703.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, Request, Response, get, post

KEEP = 200
SHOWN_HEADERS = ("content-type", "user-agent", "market-signature", "market-event-id", "market-event-type",
                 "market-delivery-id", "host")  # fmt: skip


@dataclass
class Box:
    """One receiver: what it got, how it answers, the secret it verifies with."""

    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0
    hang: bool = False
    secret: str | None = None


boxes: dict[str, Box] = {}


def verifies(header: str, body: bytes, secret: str) -> bool:
    """Whether one `v1=` of a `Market-Signature` header is the HMAC-SHA256 of `t.body` under `secret`."""
    items = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in items if key == "t"]
    if not timestamps:
        return False
    expected = hmac.new(secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in items if key == "v1")


@post("/hooks/{box:str}", status_code=200)
async def receive(box: str, request: Request[Any, Any, Any]) -> Response[dict[str, bool]]:
    """Take a delivery into the box, then answer as the box's behaviour says."""
    found = boxes.setdefault(box, Box())
    body = await request.body()
    headers = {name: request.headers[name] for name in SHOWN_HEADERS if name in request.headers}
    entry: dict[str, Any] = {"received_at": time.time(), "headers": headers, "body": body.decode("utf-8", "replace")}
    if found.secret:
        entry["signature_verified"] = verifies(headers.get("market-signature", ""), body, found.secret)
    found.received.append(entry)
    del found.received[:-KEEP]
    if found.hang:
        await asyncio.sleep(3600)
    if found.delay_s:
        await asyncio.sleep(found.delay_s)
    return Response({"received": True}, status_code=found.status)


@get("/_sink/boxes/{box:str}")
async def list_box(box: str) -> list[dict[str, Any]]:
    """What the box received, oldest first."""
    return boxes.get(box, Box()).received


@post("/_sink/boxes/{box:str}/behaviour", status_code=200)
async def behaviour(box: str, data: dict[str, Any]) -> dict[str, Any]:
    """How the box answers from now on: `status`, `delay_s`, `hang`."""
    found = boxes.setdefault(box, Box())
    found.status = int(data.get("status", found.status))
    found.delay_s = float(data.get("delay_s", found.delay_s))
    found.hang = bool(data.get("hang", found.hang))
    return {"status": found.status, "delay_s": found.delay_s, "hang": found.hang}


@post("/_sink/boxes/{box:str}/secret", status_code=200)
async def set_secret(box: str, data: dict[str, Any]) -> dict[str, bool]:
    """The endpoint's signing secret, so that the box shows whether each delivery verifies."""
    boxes.setdefault(box, Box()).secret = str(data["secret"])
    return {"ok": True}


@post("/_sink/reset", status_code=200)
async def reset() -> dict[str, bool]:
    boxes.clear()
    return {"ok": True}


@get("/")
async def index() -> dict[str, Any]:
    """Every box: how many deliveries it got and the latest ten (newest first)."""
    return {name: {"count": len(box.received), "latest": box.received[::-1][:10]} for name, box in boxes.items()}


def create_app() -> Litestar:
    """Factory for granian (`market webhook-sink`)."""
    return Litestar(route_handlers=[receive, list_box, behaviour, set_secret, reset, index], debug=False)
