"""A Stripe simulator (`market stripe-sim`), faithful where our code and the official `stripe` library touch it:
an HTTP server the tests start in-process and `deploy/dev run` serves, so that a card order can be paid end to end
on a machine without Stripe keys.

It speaks Stripe's wire format (form-encoded bodies with `a[b]` and `a[0]` keys, JSON answers, bearer auth) and
keeps its semantics: PaymentIntents (create, retrieve, cancel), refunds, the events list (newest first, `created`,
`types`, `starting_after`, `limit`), idempotency keys (the same key and parameters replay the first answer; other
parameters are a 400 `idempotency_error`), and Stripe's error shapes (`{"error": {"type", "code", "message",
"param"}}`). What a cardholder does in Stripe's SDK (pay, fail, dispute) the tests do with `succeed`, `fail` and
`dispute`, which record the events Stripe would send; `signed` signs a payload with Stripe's real scheme
(`t=<time>,v1=<HMAC-SHA256 of "<time>.<payload>">`). Faults switch at run time: `mode` "down" (the connection is
closed unanswered), "slow" (answers after `delay_s`), "error" (500 `api_error`).

As a development tool it also serves a page (`GET /`) listing the PaymentIntents with buttons to confirm or decline
each (what a cardholder does in Stripe's SDK), and posts every event it records to `webhook_url` signed with
`webhook_secret` (`STRIPE_SIM_WEBHOOK_URL`, `STRIPE_WEBHOOK_SECRET`), as Stripe does.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qsl, urlsplit
from urllib.request import Request, urlopen

API_VERSION = "2025-09-30.clover"
_KEY = re.compile(r"\[([^\]]*)\]")


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding back to nested dicts and lists (`metadata[order_id]`, `types[0]`)."""
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True):
        head = raw_key.split("[", 1)[0]
        path = [head, *_KEY.findall(raw_key[len(head) :])]
        node: Any = root
        for index, part in enumerate(path):
            last = index == len(path) - 1
            following = None if last else path[index + 1]
            child_default: Any = [] if following is not None and (following.isdigit() or following == "") else {}
            if isinstance(node, list):
                position = int(part) if part.isdigit() else len(node)
                while len(node) <= position:
                    node.append(None)
                if last:
                    node[position] = value
                else:
                    node[position] = node[position] if node[position] is not None else child_default
                    node = node[position]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, child_default)
    return root


class StripeError(Exception):
    def __init__(self, status: int, kind: str, message: str, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": kind, "code": code, "message": message, "param": param}}


class FakeStripe:
    """The state of the fake Stripe account, and its HTTP server."""

    def __init__(self, api_key: str = "sk_test_fake_0123456789", webhook_url: str | None = None,
                 webhook_secret: str | None = None) -> None:  # fmt: skip
        self.api_key = api_key
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret
        self.intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.idempotent: dict[str, tuple[str, int, bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        self.mode = "ok"
        self.delay_s = 0.0
        self.lock = threading.RLock()
        self.server: ThreadingHTTPServer | None = None

    # -- the server -----------------------------------------------------------------------------------------------

    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def do_DELETE(self) -> None:
                fake._serve(self, "DELETE")

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            for collection in (self.intents, self.charges, self.refunds, self.events, self.idempotent, self.requests):
                collection.clear()
            self.mode, self.delay_s = "ok", 0.0

    @contextmanager
    def faulty(self, mode: str, delay_s: float = 0.0) -> Iterator[None]:
        self.mode, self.delay_s = mode, delay_s
        try:
            yield
        finally:
            self.mode, self.delay_s = "ok", 0.0

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        split = urlsplit(handler.path)
        if not split.path.startswith("/v1/"):
            self._dev_page(handler, method, split.path)
            return
        if self.mode == "down":
            handler.close_connection = True
            handler.connection.close()
            return
        if self.mode == "slow":
            time.sleep(self.delay_s)
        if self.mode == "error":
            self._answer(handler, 500, {"error": {"type": "api_error", "message": "Something went wrong."}})
            return
        params = parse_form(body if method == "POST" else split.query)
        try:
            if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
                raise StripeError(401, "invalid_request_error", "Invalid API Key provided.")
            key = handler.headers.get("Idempotency-Key")
            fingerprint = json.dumps([method, split.path, params], sort_keys=True)
            with self.lock:
                self.requests.append((method, split.path))
                if key and key in self.idempotent:
                    seen, status, answer = self.idempotent[key]
                    if seen != fingerprint:
                        raise StripeError(400, "idempotency_error", "Keys for idempotent requests can only be used "
                                          "with the same parameters they were first used with.")  # fmt: skip
                    self._answer(handler, status, answer, replayed=True)
                    return
                status, result = 200, self._route(method, split.path, params)
                answer = json.dumps(result).encode()
                if key and method == "POST":
                    self.idempotent[key] = (fingerprint, status, answer)
            self._answer(handler, status, answer)
        except StripeError as exc:
            self._answer(handler, exc.status, exc.body)

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, body: Any, replayed: bool = False) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.send_header("Request-Id", _id("req"))
        if replayed:
            handler.send_header("Idempotent-Replayed", "true")
        handler.end_headers()
        handler.wfile.write(raw)

    # -- the API ----------------------------------------------------------------------------------------------------

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if parts[:2] == ["v1", "payment_intents"]:
            if method == "POST" and len(parts) == 2:
                return self._create_intent(params)
            intent = self._intent(parts[2])
            if method == "GET" and len(parts) == 3:
                return intent
            if method == "POST" and parts[3:] == ["cancel"]:
                return self._cancel(intent)
        if parts == ["v1", "refunds"] and method == "POST":
            return self._refund(params)
        if parts == ["v1", "events"] and method == "GET":
            return self._list_events(params)
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _intent(self, intent_id: str) -> dict[str, Any]:
        if intent_id not in self.intents:
            raise StripeError(404, "invalid_request_error", f"No such payment_intent: '{intent_id}'",
                              "resource_missing", "intent")  # fmt: skip
        return self.intents[intent_id]

    def _create_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        if "amount" not in params or not str(params["amount"]).isdigit() or int(params["amount"]) < 1:
            raise StripeError(400, "invalid_request_error", "Missing required param: amount.", "parameter_missing",
                              "amount")  # fmt: skip
        if params.get("currency") != "vnd":
            raise StripeError(400, "invalid_request_error", "This fake account only takes VND.", "parameter_invalid",
                              "currency")  # fmt: skip
        intent_id = _id("pi")
        intent = {
            "id": intent_id, "object": "payment_intent", "amount": int(params["amount"]), "amount_received": 0,
            "currency": "vnd", "status": "requires_payment_method", "client_secret": f"{intent_id}_secret_"
            f"{secrets.token_hex(8)}", "metadata": params.get("metadata", {}), "latest_charge": None,
            "last_payment_error": None, "created": int(time.time()), "livemode": False,
            "automatic_payment_methods": {"enabled": params.get("automatic_payment_methods", {}).get("enabled")
                                          == "true"}, "receipt_email": params.get("receipt_email"),
        }  # fmt: skip
        self.intents[intent_id] = intent
        self._event("payment_intent.created", intent)
        return intent

    def _cancel(self, intent: dict[str, Any]) -> dict[str, Any]:
        if intent["status"] in ("succeeded", "canceled"):
            raise StripeError(400, "invalid_request_error", "You cannot cancel this PaymentIntent because it has a "
                              f"status of {intent['status']}.", "payment_intent_unexpected_state")  # fmt: skip
        intent["status"] = "canceled"
        self._event("payment_intent.canceled", intent)
        return intent

    def _refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = self._intent(params.get("payment_intent", ""))
        charge = self.charges.get(intent["latest_charge"] or "")
        if charge is None:
            raise StripeError(400, "invalid_request_error", "This PaymentIntent does not have a successful charge to "
                              "refund.", "charge_not_refundable")  # fmt: skip
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount > charge["amount"] - charge["amount_refunded"]:
            raise StripeError(400, "invalid_request_error", f"Refund amount ({amount}) is greater than unrefunded "
                              "amount on charge.", "amount_too_large", "amount")  # fmt: skip
        refund = {"id": _id("re"), "object": "refund", "amount": amount, "charge": charge["id"],
                  "payment_intent": intent["id"], "currency": "vnd", "status": "succeeded",
                  "metadata": params.get("metadata", {}), "created": int(time.time())}  # fmt: skip
        self.refunds[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self._event("charge.refunded", charge)
        return refund

    def _list_events(self, params: dict[str, Any]) -> dict[str, Any]:
        found = list(reversed(self.events))
        since = params.get("created", {}).get("gte") if isinstance(params.get("created"), dict) else None
        if since:
            found = [event for event in found if event["created"] >= int(since)]
        types = [kind for kind in params.get("types", []) if kind]
        if types:
            found = [event for event in found if event["type"] in types]
        if params.get("starting_after"):
            ids = [event["id"] for event in found]
            found = found[ids.index(params["starting_after"]) + 1 :] if params["starting_after"] in ids else []
        limit = int(params.get("limit") or 10)
        return {"object": "list", "url": "/v1/events", "data": found[:limit], "has_more": len(found) > limit}

    def _event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {"id": _id("evt"), "object": "event", "api_version": API_VERSION, "created": int(time.time()),
                 "data": {"object": json.loads(json.dumps(obj))}, "livemode": False, "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None}, "type": kind}  # fmt: skip
        self.events.append(event)
        if self.webhook_url and self.webhook_secret:
            threading.Thread(target=self._post_webhook, args=(event,), daemon=True).start()
        return event

    def _post_webhook(self, event: dict[str, Any]) -> None:
        """Deliver one event to the app, signed, as Stripe does (three tries, a second apart)."""
        payload = json.dumps(event).encode()
        for _ in range(3):
            request = Request(  # noqa: S310 (the app's own http URL, from the environment)
                self.webhook_url or "",
                data=payload,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": signed(payload, self.webhook_secret or ""),
                },
            )
            try:
                with urlopen(request, timeout=5) as answer:  # noqa: S310 (our own app's URL)
                    if answer.status < 300:
                        return
            except (URLError, OSError):
                pass
            time.sleep(1)

    # -- the development page -----------------------------------------------------------------------------------

    def _dev_page(self, handler: BaseHTTPRequestHandler, method: str, path: str) -> None:
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 3 and parts[0] == "intents" and parts[2] in ("confirm", "decline"):
            try:
                (self.succeed if parts[2] == "confirm" else self.fail)(parts[1])
            except StripeError as exc:
                self._answer(handler, exc.status, exc.body)
                return
            handler.send_response(303)
            handler.send_header("Location", "/")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if method != "GET" or path not in ("/", ""):
            self._answer(handler, 404, {"error": {"type": "invalid_request_error", "message": "No such page."}})
            return
        with self.lock:
            rows = "".join(
                f"<tr><td><code>{html.escape(i['id'])}</code></td><td>{i['amount']:,} VND</td>"
                f"<td>{html.escape(str(i['metadata'].get('order_id', '')))}</td><td>{i['status']}</td><td>"
                + ("" if i["status"] in ("succeeded", "canceled") else
                   f"<form method='post' action='/intents/{i['id']}/confirm' style='display:inline'>"
                   "<button>Confirm (card 4242)</button></form> "
                   f"<form method='post' action='/intents/{i['id']}/decline' style='display:inline'>"
                   "<button>Decline</button></form>")
                + "</td></tr>"
                for i in reversed(list(self.intents.values()))
            )  # fmt: skip
        body = ("<!doctype html><html><head><meta charset='utf-8'><title>Stripe simulator</title>"
                "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .6em;border-bottom:1px solid #ddd}"
                "</style></head><body><h1>Stripe simulator</h1>"
                f"<p>Webhooks go to <code>{html.escape(self.webhook_url or 'nowhere')}</code>.</p>"
                "<table><tr><th>PaymentIntent</th><th>amount</th><th>order</th><th>status</th><th></th></tr>"
                f"{rows}</table></body></html>").encode()  # fmt: skip
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    # -- what cardholders do, in tests ---------------------------------------------------------------------------

    def succeed(self, intent_id: str) -> list[dict[str, Any]]:
        """The cardholder pays: the charge succeeds. Returns the events Stripe sends."""
        with self.lock:
            intent = self._intent(intent_id)
            charge = {"id": _id("ch"), "object": "charge", "amount": intent["amount"], "amount_refunded": 0,
                      "currency": "vnd", "payment_intent": intent_id, "paid": True, "refunded": False,
                      "status": "succeeded"}  # fmt: skip
            self.charges[charge["id"]] = charge
            intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge["id"],
                          last_payment_error=None)  # fmt: skip
            return [self._event("charge.succeeded", charge), self._event("payment_intent.succeeded", intent)]

    def fail(self, intent_id: str) -> list[dict[str, Any]]:
        """The card is declined."""
        with self.lock:
            intent = self._intent(intent_id)
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": "Your card was declined.",
                },
            )
            return [self._event("payment_intent.payment_failed", intent)]

    def dispute(self, intent_id: str) -> list[dict[str, Any]]:
        with self.lock:
            intent = self._intent(intent_id)
            dispute = {"id": _id("dp"), "object": "dispute", "amount": intent["amount"], "currency": "vnd",
                       "charge": intent["latest_charge"], "payment_intent": intent_id, "reason": "fraudulent",
                       "status": "needs_response"}  # fmt: skip
            return [self._event("charge.dispute.created", dispute)]

    def intents_for(self, order_id: str) -> list[dict[str, Any]]:
        return [intent for intent in self.intents.values() if intent["metadata"].get("order_id") == order_id]


def signed(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe sends with a webhook."""
    at = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def serve(host: str, port: int) -> None:
    """`market stripe-sim`: serve until interrupted, with the keys and webhook of the environment."""
    simulator = FakeStripe(
        os.environ.get("STRIPE_SECRET_KEY") or "sk_test_simulator_0123456789",
        os.environ.get("STRIPE_SIM_WEBHOOK_URL") or None,
        os.environ.get("STRIPE_WEBHOOK_SECRET") or None,
    )
    simulator.start(port, host)
    try:
        threading.Event().wait()
    finally:
        simulator.stop()
