"""A carrier simulator speaking the Vietnam Post / EMS API shape (`market carrier-sim`), for the demo and the tests.

It issues tokens, quotes fees from a zone and weight table, creates parcels with VN-style tracking codes
(`EJ123456789VN`), moves them on a schedule through picked up -> in transit -> delivered (or, for some, delivery
failed -> returning -> returned), posts signed status webhooks to the marketplace and hands out COD remittance
batches as CSV. Its state lives in memory. Faults switch at run time (`POST /_sim/faults`): `slow` answers after
`delay_s`, `error` answers 503, `drop` does the work but answers only after `delay_s` (the client has given up by
then), `down` answers 503 to everything; `duplicate` sends every webhook twice and `shuffle` sends each tick's
webhooks in random order.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
import random
import secrets
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from litestar import Litestar, Request, Response, get, post

from market.shipping.rates import services
from market.shipping.vnpost import CODES_OF, DATETIME_FORMAT, VIETNAM, signature

NAMES = {"created": "Đã tiếp nhận", "picked_up": "Đã lấy hàng", "in_transit": "Đang vận chuyển",
         "delivered": "Phát thành công", "delivery_failed": "Phát không thành công", "returning": "Đang chuyển hoàn",
         "returned": "Đã chuyển hoàn", "cancelled": "Đã hủy"}  # fmt: skip
DELIVERED_PATH = ["picked_up", "in_transit", "delivered"]
RETURNED_PATH = ["picked_up", "in_transit", "delivery_failed", "returning", "returned"]


@dataclass
class SimConfig:
    partner_id: str
    partner_secret: str
    webhook_secret: str
    webhook_url: str | None
    tick_s: float = 5.0
    fail_percent: int = 10

    @classmethod
    def from_env(cls) -> SimConfig:
        return cls(
            partner_id=os.environ.get("CARRIER_PARTNER_ID", "market"),
            partner_secret=os.environ.get("CARRIER_PARTNER_SECRET", "simulator-secret"),
            webhook_secret=os.environ.get("CARRIER_WEBHOOK_SECRET", "simulator-webhook-secret"),
            webhook_url=os.environ.get("CARRIER_SIM_WEBHOOK_URL"),
            tick_s=float(os.environ.get("CARRIER_SIM_TICK_S", "5")),
            fail_percent=int(os.environ.get("CARRIER_SIM_FAIL_PERCENT", "10")),
        )


@dataclass
class SimParcel:
    order_code: str
    tracking_code: str
    body: dict[str, Any]
    fee: int
    path: list[str]
    status: str = "created"
    step: int = 0
    remitted: bool = False

    def view(self) -> dict[str, Any]:
        return {
            "order_code": self.order_code,
            "tracking_code": self.tracking_code,
            "status_code": CODES_OF[self.status],
            "status_name": NAMES[self.status],
            "fee": self.fee,
            "cod_amount": self.body.get("cod_amount", 0),
            "label_url": f"/labels/{self.tracking_code}.pdf",
            "service": self.body.get("service"),
        }


@dataclass
class SimState:
    config: SimConfig
    parcels: dict[str, SimParcel] = field(default_factory=dict)
    by_tracking: dict[str, SimParcel] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    outbox: list[tuple[str, bytes]] = field(default_factory=list)
    faults: dict[str, Any] = field(default_factory=lambda: {"mode": "ok", "delay_s": 0.0, "duplicate": False,
                                                            "shuffle": False})  # fmt: skip
    create_calls: int = 0
    batches: int = 0

    def fee(self, weight_g: int, from_province: int, to_province: int, service: str) -> tuple[int, int]:
        found = {q.service: q for q in services(weight_g, from_province, to_province)}
        chosen = found.get(service) or found["BUU_KIEN"]
        return chosen.fee, chosen.transit_days

    def report(self, parcel: SimParcel, status: str) -> None:
        parcel.status = status
        body = {"tracking_code": parcel.tracking_code, "order_code": parcel.order_code,
                "status_code": CODES_OF[status], "status_name": NAMES[status], "note": None,
                "location": "Bưu cục Tây Ninh" if status in ("picked_up", "returned") else "Trung tâm khai thác",
                "datetime": datetime.now(VIETNAM).strftime(DATETIME_FORMAT),
                "total_weight": parcel.body.get("weight_g"), "total_fee": parcel.fee,
                "money_collect": parcel.body.get("cod_amount", 0) if status == "delivered" else 0}  # fmt: skip
        self.outbox.append((secrets.token_hex(8), json.dumps(body).encode()))

    def advance(self, parcel: SimParcel) -> None:
        if parcel.step < len(parcel.path) and parcel.status != "cancelled":
            self.report(parcel, parcel.path[parcel.step])
            parcel.step += 1

    async def send_webhooks(self, client: httpx.AsyncClient) -> None:
        if not self.config.webhook_url or not self.outbox:
            return
        pending, self.outbox = self.outbox, []
        if self.faults["shuffle"]:
            random.shuffle(pending)  # an order of delivery, not a secret
        copies = 2 if self.faults["duplicate"] else 1
        for transaction, body in pending:
            headers = {"Content-Type": "application/json", "X-Transaction-Id": transaction,
                       "X-Signature": signature(self.config.webhook_secret, body)}  # fmt: skip
            delivered = False
            for _ in range(copies):
                with contextlib.suppress(httpx.HTTPError):
                    answer = await client.post(self.config.webhook_url, content=body, headers=headers)
                    delivered = delivered or answer.status_code == 200
            if not delivered:  # the carrier tries again on the next tick
                self.outbox.append((transaction, body))


def _state(request: Request[Any, Any, Any]) -> SimState:
    state: SimState = request.app.state.sim
    return state


async def _gate(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Before every carrier API call: the faults, then the token (None lets the request go on)."""
    path = request.url.path
    if not path.startswith("/api/"):
        return None
    state = _state(request)
    mode = state.faults["mode"]
    if mode in ("down", "error"):
        return Response({"code": "unavailable"}, status_code=503)
    if mode == "slow":
        await asyncio.sleep(state.faults["delay_s"])
    if path != "/api/v1/token" and request.headers.get("token") not in state.tokens:
        return Response({"code": "unauthorized"}, status_code=401)
    return None


async def _answer(request: Request[Any, Any, Any], body: Any, status: int = 200) -> Response[Any]:
    if _state(request).faults["mode"] == "drop":  # done, but the answer comes after the client gave up
        await asyncio.sleep(_state(request).faults["delay_s"])
    return Response(body, status_code=status)


@post("/api/v1/token", status_code=200)
async def token(request: Request[Any, Any, Any], data: dict[str, Any]) -> Response[Any]:
    config = _state(request).config
    if data.get("partner_id") != config.partner_id or data.get("secret") != config.partner_secret:
        return Response({"code": "invalid_credentials"}, status_code=401)
    issued = secrets.token_urlsafe(24)
    _state(request).tokens.add(issued)
    return Response({"token": issued, "expires_in": 3600})


@post("/api/v1/fees", status_code=200)
async def fees(request: Request[Any, Any, Any], data: dict[str, Any]) -> Response[Any]:
    offered = services(int(data["weight_g"]), int(data["from_province"]), int(data["to_province"]))
    return await _answer(request, {"services": [vars(quote) for quote in offered]})


@post("/api/v1/orders", status_code=201)
async def create_order(request: Request[Any, Any, Any], data: dict[str, Any]) -> Response[Any]:
    state = _state(request)
    state.create_calls += 1
    code = str(data["order_code"])
    if code in state.parcels:
        return Response({"code": "duplicate_order_code", "tracking_code": state.parcels[code].tracking_code},
                        status_code=409)  # fmt: skip
    tracking = f"EJ{secrets.randbelow(9 * 10**8) + 10**8}VN"  # S10 series, as EMS prints them
    fails = zlib.crc32(code.encode()) % 100 < state.config.fail_percent
    sender, receiver = data.get("sender", {}), data.get("receiver", {})
    fee, _ = state.fee(int(data.get("weight_g", 1000)), int(sender.get("province_code", 80)),
                       int(receiver.get("province_code", 80)), str(data.get("service") or "BUU_KIEN"))  # fmt: skip
    parcel = SimParcel(code, tracking, data, fee, RETURNED_PATH if fails else DELIVERED_PATH)
    state.parcels[code] = state.by_tracking[tracking] = parcel
    return await _answer(request, parcel.view(), 201)


@get("/api/v1/orders/{order_code:str}")
async def find_order(request: Request[Any, Any, Any], order_code: str) -> Response[Any]:
    parcel = _state(request).parcels.get(order_code)
    if parcel is None:
        return Response({"code": "not_found"}, status_code=404)
    return await _answer(request, parcel.view())


@post("/api/v1/parcels/{tracking_code:str}/cancel", status_code=200)
async def cancel_parcel(request: Request[Any, Any, Any], tracking_code: str) -> Response[Any]:
    state = _state(request)
    parcel = state.by_tracking.get(tracking_code)
    if parcel is None:
        return Response({"code": "not_found"}, status_code=404)
    if parcel.status != "created":
        return Response({"code": "already_picked_up"}, status_code=409)
    parcel.path, parcel.step = [], 0
    state.report(parcel, "cancelled")
    return await _answer(request, parcel.view())


@get("/api/v1/remittances/next.csv", media_type="text/csv")
async def remittance(request: Request[Any, Any, Any]) -> Response[Any]:
    """The next COD remittance batch: every delivered parcel not remitted yet, with the fee kept back."""
    state = _state(request)
    state.batches += 1
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["tracking_code", "amount", "fee"])
    for parcel in state.parcels.values():
        if parcel.status == "delivered" and not parcel.remitted and parcel.body.get("cod_amount"):
            writer.writerow([parcel.tracking_code, parcel.body["cod_amount"], parcel.fee])
            parcel.remitted = True
    return Response(out.getvalue(), media_type="text/csv", headers={"X-Batch-Id": f"COD-{state.batches:05d}"})


@get("/labels/{tracking_code:str}", media_type="application/pdf")
async def label(request: Request[Any, Any, Any], tracking_code: str) -> Response[bytes]:
    """The printable label: a one-page PDF with the tracking code, sender and receiver."""
    parcel = _state(request).by_tracking.get(tracking_code.removesuffix(".pdf"))
    if parcel is None:
        return Response(b"", status_code=404)
    sender, receiver = parcel.body.get("sender", {}), parcel.body.get("receiver", {})
    lines = [f"EMS / VNPost  {parcel.tracking_code}", f"Ma don: {parcel.order_code}",
             f"Gui: {sender.get('name', '')} {sender.get('phone', '')}",
             f"Nhan: {receiver.get('name', '')} {receiver.get('phone', '')}",
             f"Thu ho (COD): {parcel.body.get('cod_amount', 0)} VND"]  # fmt: skip
    return Response(_pdf(lines), media_type="application/pdf")


def _pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF (Helvetica, ASCII text): enough for a label printer."""
    text = "BT /F1 14 Tf 40 260 Td 18 TL " + " ".join(f"({_escape(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 298] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out.encode("latin-1")))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(out.encode("latin-1"))
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")


def _escape(text: str) -> str:
    ascii_text = text.encode("ascii", "replace").decode()
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


@get("/_sim/parcels")
async def sim_parcels(request: Request[Any, Any, Any]) -> dict[str, Any]:
    state = _state(request)
    return {"count": len(state.parcels), "create_calls": state.create_calls,
            "parcels": [parcel.view() for parcel in state.parcels.values()]}  # fmt: skip


@post("/_sim/faults", status_code=200)
async def sim_faults(request: Request[Any, Any, Any], data: dict[str, Any]) -> dict[str, Any]:
    faults = _state(request).faults
    faults.update({key: data[key] for key in ("mode", "delay_s", "duplicate", "shuffle") if key in data})
    return faults


@post("/_sim/outbox/take", status_code=200)
async def sim_take(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    """The signed webhooks waiting to be sent, handed over and forgotten (for a caller that delivers them itself:
    the tests). With `duplicate`, each comes twice; with `shuffle`, in random order."""
    state = _state(request)
    pending, state.outbox = state.outbox, []
    taken = [{"transaction": transaction, "body": body.decode(),
              "signature": signature(state.config.webhook_secret, body)} for transaction, body in pending]  # fmt: skip
    if state.faults["duplicate"]:
        taken = [item for item in taken for _ in range(2)]
    if state.faults["shuffle"]:
        random.shuffle(taken)
    return taken


@post("/_sim/advance", status_code=200)
async def sim_advance(request: Request[Any, Any, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Move one parcel (`order_code`) `steps` steps along its path now, without sending anything."""
    state = _state(request)
    parcel = state.parcels[str(data["order_code"])]
    for _ in range(int(data.get("steps", 1))):
        state.advance(parcel)
    return parcel.view()


@post("/_sim/config", status_code=200)
async def sim_config(request: Request[Any, Any, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Change where webhooks go (`webhook_url`, null for nowhere) at run time."""
    config = _state(request).config
    if "webhook_url" in data:
        config.webhook_url = data["webhook_url"]
    return {"webhook_url": config.webhook_url, "tick_s": config.tick_s}


@post("/_sim/reset", status_code=200)
async def sim_reset(request: Request[Any, Any, Any]) -> dict[str, int]:
    """Forget every parcel and webhook, clear the faults (tokens stay valid)."""
    state = _state(request)
    state.parcels.clear()
    state.by_tracking.clear()
    state.outbox.clear()
    state.faults.update({"mode": "ok", "delay_s": 0.0, "duplicate": False, "shuffle": False})
    state.create_calls = 0
    state.config.webhook_url = None
    return {"parcels": 0}


@post("/_sim/path", status_code=200)
async def sim_path(request: Request[Any, Any, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Choose where a parcel ends: `delivered` or `returned` (after a failed delivery)."""
    parcel = _state(request).parcels[str(data["order_code"])]
    parcel.path = RETURNED_PATH if data["ends"] == "returned" else DELIVERED_PATH
    return parcel.view()


@post("/_sim/tick", status_code=200)
async def sim_tick(request: Request[Any, Any, Any]) -> dict[str, int]:
    """Move every parcel one step now and send the webhooks (what the schedule does every `tick_s`)."""
    state = _state(request)
    for parcel in list(state.parcels.values()):
        state.advance(parcel)
    sent = len(state.outbox)
    await state.send_webhooks(request.app.state.webhook_client)
    return {"sent": sent, "waiting": len(state.outbox)}


def create_simulator(config: SimConfig | None = None) -> Litestar:
    config = config or SimConfig.from_env()
    state = SimState(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.webhook_client = httpx.AsyncClient(timeout=5)
        schedule = asyncio.create_task(_schedule(state, app)) if config.tick_s > 0 else None
        try:
            yield
        finally:
            if schedule:
                schedule.cancel()
            await app.state.webhook_client.aclose()

    app = Litestar(
        route_handlers=[token, fees, create_order, find_order, cancel_parcel, remittance, label, sim_parcels,
                        sim_faults, sim_tick, sim_take, sim_advance, sim_reset, sim_path, sim_config],
        before_request=_gate, lifespan=[lifespan], openapi_config=None, logging_config=None,
    )  # fmt: skip
    app.state.sim = state
    return app


async def _schedule(state: SimState, app: Litestar) -> None:
    while True:
        await asyncio.sleep(state.config.tick_s)
        for parcel in list(state.parcels.values()):
            state.advance(parcel)
        with contextlib.suppress(Exception):
            await state.send_webhooks(app.state.webhook_client)


def create_from_env() -> Litestar:
    """Factory for granian (`market carrier-sim`)."""
    return create_simulator()
