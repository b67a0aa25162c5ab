"""An SMS brandname provider simulator (`market sms-sim`), enforcing Decree 91/2020 on promotional messages.

`POST /v1/messages` with `Authorization: Bearer <key>` and `{"to": "849...", "text", "brandname", "type":
"transactional"|"promotional", "request_id"}` answers `201 {"id", "status": "accepted", "segments"}`. Refusals:
401 `invalid_api_key`; 400 `invalid_phone` (not the 84 form), `invalid_brandname`, `text_too_long` (over 612 GSM
or 268 Unicode characters: 4 segments), `missing_qc_prefix` (a promotional text must start with `[QC]`); 422
`quiet_hours` (promotional outside 07:00-22:00 Vietnamese time); 429 `daily_cap_reached` (a 4th promotional
message to one number on one Vietnamese day); 503 when `down`. A repeated `request_id` answers the first id.

Test hooks: `GET /_sim/messages`, `POST /_sim/reset`, `POST /_sim/faults` `{"down": true}`, `POST /_sim/clock`
`{"now": "2026-12-02T23:30:00+07:00"}` (null: the real clock). Environment: SMS_SIM_API_KEY (else SMS_API_KEY).
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, date, datetime, time
from typing import Any

from litestar import Litestar, Request, Response, post

from market.simulators.messaging import PHONE, VIETNAM, json_or_none, message_hooks

PROMO_CAP = 3


class SmsState:
    def __init__(self) -> None:
        self.key = os.environ.get("SMS_SIM_API_KEY") or os.environ.get("SMS_API_KEY") or "sms-sim-key"
        self.reset()

    def reset(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.by_request: dict[str, dict[str, Any]] = {}
        self.promos: dict[tuple[str, date], int] = {}
        self.down = False
        self.now: datetime | None = None

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)


STATE = SmsState()


def _segments(text: str) -> int | None:
    ascii_only = all(ord(char) < 128 for char in text)
    single, multi, most = (160, 153, 612) if ascii_only else (70, 67, 268)
    if len(text) > most:
        return None
    return 1 if len(text) <= single else -(-len(text) // multi)


def submit(authorization: str | None, body: Any) -> tuple[int, dict[str, Any]]:
    if authorization != f"Bearer {STATE.key}":
        return 401, {"code": "invalid_api_key"}
    if not isinstance(body, dict):
        return 400, {"code": "invalid_body"}
    to, text, kind = str(body.get("to", "")), str(body.get("text", "")), body.get("type", "transactional")
    request_id = body.get("request_id")
    if request_id and request_id in STATE.by_request:
        return 201, STATE.by_request[request_id]["answer"]
    if not PHONE.match(to):
        return 400, {"code": "invalid_phone"}
    if not str(body.get("brandname", "")).strip():
        return 400, {"code": "invalid_brandname"}
    segments = _segments(text)
    if segments is None or not text:
        return 400, {"code": "text_too_long"}
    if kind not in ("transactional", "promotional"):
        return 400, {"code": "invalid_type"}
    local = STATE.clock().astimezone(VIETNAM)
    if kind == "promotional":
        if not text.startswith("[QC]"):
            return 400, {"code": "missing_qc_prefix"}
        if not time(7) <= local.time() < time(22):
            return 422, {"code": "quiet_hours"}
        sent_today = STATE.promos.get((to, local.date()), 0)
        if sent_today >= PROMO_CAP:
            return 429, {"code": "daily_cap_reached"}
        STATE.promos[(to, local.date())] = sent_today + 1
    answer = {"id": f"sms_{secrets.token_hex(10)}", "status": "accepted", "segments": segments}
    record = {"id": answer["id"], "to": to, "text": text, "type": kind, "brandname": body.get("brandname"),
              "request_id": request_id, "sent_at": STATE.clock().isoformat(), "answer": answer}  # fmt: skip
    STATE.messages.append(record)
    if request_id:
        STATE.by_request[request_id] = record
    return 201, answer


@post("/v1/messages")
async def messages(request: Request[Any, Any, Any]) -> Response[Any]:
    if STATE.down:
        return Response({"code": "unavailable"}, status_code=503)
    body = await json_or_none(request)
    status, answer = submit(request.headers.get("authorization"), body)
    return Response(answer, status_code=status)


@post("/_sim/faults", status_code=200, sync_to_thread=False)
def sim_faults(data: dict[str, Any]) -> dict[str, Any]:
    STATE.down = bool(data.get("down", False))
    return {"down": STATE.down}


@post("/_sim/clock", status_code=200, sync_to_thread=False)
def sim_clock(data: dict[str, Any]) -> dict[str, Any]:
    STATE.now = datetime.fromisoformat(data["now"]) if data.get("now") else None
    return {"now": STATE.clock().isoformat()}


def create_from_env() -> Litestar:
    """Factory for granian."""
    return Litestar([messages, *message_hooks(STATE), sim_faults, sim_clock], debug=False)
