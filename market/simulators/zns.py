"""A Zalo ZNS simulator (`market zns-sim`): the documented send call, with the rules Zalo enforces.

`POST /message/template` with header `access_token` and body `{phone, template_id, template_data, tracking_id}`
answers `{"error": 0, "message": "Success", "data": {"msg_id", "sent_time", "quota": {"dailyQuota",
"remainingQuota"}}}`, or Zalo's negative error codes:
-124 access token invalid; -108 phone not in the 84 form; -109 no such template; -117 the template is not approved
(only `ENABLE` templates send); -111 template_data empty; -112 template data invalid (a required parameter
missing, an unknown one, a value over the parameter's `max_length`, a link in a value, or a paragraph of the
filled template over 400 characters); -118 the number has no Zalo account; -144 the daily quota is spent.
A repeated `tracking_id` answers the first message's `msg_id` and costs no quota.

The approved templates are `data/zns_templates.json` (what the Official Account registered). Test hooks:
`GET /_sim/messages`, `POST /_sim/reset`, `POST /_sim/faults` `{"down": true, "quota": 5, "unreachable": [...]}`.
Environment: ZNS_SIM_ACCESS_TOKEN (else ZNS_ACCESS_TOKEN), ZNS_SIM_DAILY_QUOTA (default 100000).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, post

from market.simulators.messaging import PHONE, VIETNAM, json_or_none, message_hooks

TEMPLATES_FILE = Path(__file__).parent / "data" / "zns_templates.json"
LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(vn|com|net|org)\b)", re.IGNORECASE)
PARAGRAPH_MAX = 400


class ZnsState:
    def __init__(self) -> None:
        self.templates = {t["template_id"]: t for t in json.loads(TEMPLATES_FILE.read_text())}
        self.token = os.environ.get("ZNS_SIM_ACCESS_TOKEN") or os.environ.get("ZNS_ACCESS_TOKEN") or "zns-sim-token"
        self.default_quota = int(os.environ.get("ZNS_SIM_DAILY_QUOTA", "100000"))
        self.reset()

    def reset(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.by_tracking: dict[str, dict[str, Any]] = {}
        self.used: dict[date, int] = {}
        self.quota = self.default_quota
        self.down = False
        self.unreachable: set[str] = set()


STATE = ZnsState()


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": code, "message": message}


def _check_data(template: dict[str, Any], data: Any) -> str | None:
    if not isinstance(data, dict):
        return "template_data must be an object"
    params = {p["name"]: p for p in template["params"]}
    for name in data:
        if name not in params:
            return f"unknown parameter {name}"
    for name, spec in params.items():
        value = data.get(name)
        if value is None or value == "":
            if spec.get("require", True):
                return f"missing parameter {name}"
            continue
        if not isinstance(value, str | int | float):
            return f"parameter {name} must be a string or a number"
        if len(str(value)) > spec["max_length"]:
            return f"parameter {name} longer than {spec['max_length']}"
        if LINK.search(str(value)):
            return f"parameter {name} contains a link"
    return None


def fill(template: dict[str, Any], data: dict[str, Any]) -> str:
    text = str(template["text"])
    for name, value in data.items():
        text = text.replace(f"<{name}>", str(value))
    return text


def send(token: str | None, body: Any) -> dict[str, Any]:
    if token != STATE.token:
        return _error(-124, "Access token is invalid")
    if not isinstance(body, dict):
        return _error(-112, "Body must be an object")
    phone = str(body.get("phone", ""))
    if not PHONE.match(phone):
        return _error(-108, "Phone number invalid")
    tracking = body.get("tracking_id")
    if tracking and tracking in STATE.by_tracking:
        return STATE.by_tracking[tracking]["answer"]  # type: ignore[no-any-return]
    template = STATE.templates.get(str(body.get("template_id", "")))
    if template is None:
        return _error(-109, "Template ID invalid")
    if template["status"] != "ENABLE":
        return _error(-117, "OA or App does not have permission to access this template (not approved)")
    data = body.get("template_data")
    if not data:
        return _error(-111, "Template data empty")
    problem = _check_data(template, data)
    text = fill(template, data) if problem is None else ""
    if problem is None and any(len(paragraph) > PARAGRAPH_MAX for paragraph in text.split("\n\n")):
        problem = f"a paragraph is longer than {PARAGRAPH_MAX} characters"
    if problem is not None:
        return _error(-112, f"Template data invalid: {problem}")
    if phone in STATE.unreachable:
        return _error(-118, "Zalo account not existed")
    today = datetime.now(VIETNAM).date()
    if STATE.used.get(today, 0) >= STATE.quota:
        return _error(-144, "OA has exceeded the daily quota")
    STATE.used[today] = STATE.used.get(today, 0) + 1
    msg_id = secrets.token_hex(16)
    sent = datetime.now(UTC)
    answer = {"error": 0, "message": "Success", "data": {
        "msg_id": msg_id, "sent_time": str(int(sent.timestamp() * 1000)),
        "quota": {"dailyQuota": str(STATE.quota), "remainingQuota": str(STATE.quota - STATE.used[today])}}}  # fmt: skip
    record = {"msg_id": msg_id, "phone": phone, "template_id": template["template_id"], "template_data": data,
              "tracking_id": tracking, "text": text, "tag": template["tag"], "sent_at": sent.isoformat(),
              "answer": answer}  # fmt: skip
    STATE.messages.append(record)
    if tracking:
        STATE.by_tracking[tracking] = record
    return answer


@post("/message/template", status_code=200)
async def message_template(request: Request[Any, Any, Any]) -> Response[Any]:
    if STATE.down:
        return Response({"error": -100, "message": "Unknown error"}, status_code=503)
    body = await json_or_none(request)
    return Response(send(request.headers.get("access_token"), body))


@post("/_sim/faults", status_code=200, sync_to_thread=False)
def sim_faults(data: dict[str, Any]) -> dict[str, Any]:
    STATE.down = bool(data.get("down", False))
    STATE.quota = int(data.get("quota", STATE.default_quota))
    STATE.unreachable = set(data.get("unreachable", []))
    return {"down": STATE.down, "quota": STATE.quota, "unreachable": sorted(STATE.unreachable)}


def create_from_env() -> Litestar:
    """Factory for granian."""
    return Litestar([message_template, *message_hooks(STATE), sim_faults], debug=False)
