"""Bank transfer endpoints: the bank feed's webhook, the VietQR images of orders' transfers, and the operators'
queue of credits (assign to an order, flag for refund, pull the provider's list)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import segno
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter

from market.banking import feeds, service
from market.banking.instructions import payload_of, read_qr_token
from market.banking.jobs import reconcile_once
from market.banking.schemas import AssignIn, BankCreditOut, FeedAck, FlagRefundIn, ReconcileOut
from market.core.errors import NotAuthenticated, NotFound, field_error
from market.core.pagination import DEFAULT_LIMIT, Page, decode_cursor, encode_cursor, page_of
from market.core.schemas import rfc3339
from market.web.deps import Limit, ResourcesDep
from market.web.openapi.routes import PROBLEMS
from market.web.operator_auth import OperatorPrincipal, provide_operator

Provider = Annotated[str, Parameter(description="The bank feed: `sepay`.", max_length=16)]
QrToken = Annotated[str, Parameter(description="The signed token of an order's transfer (from its answer).",
                                   max_length=200)]  # fmt: skip


class BankWebhookController(Controller):
    path = "/webhooks/banks"
    tags = ["webhooks"]

    @post("/{provider:str}", operation_id="webhooks_bank", status_code=200,
          opt={PROBLEMS: ("invalid_signature",)})  # fmt: skip
    async def receive(self, provider: Provider, request: Request[Any, Any, Any], resources: ResourcesDep) -> FeedAck:
        """A transaction on the collection account (SePay's webhook): authenticated by `Authorization: Apikey
        <key>` or `X-Signature: sha256=<HMAC-SHA256 of the body>` (401 and nothing stored otherwise), stored once
        by the provider's id and matched to an order; answers `{"success": true}` (a repeat too)."""
        settings = resources.settings
        if provider not in feeds.PROVIDERS or not settings.bank_transfers:
            raise NotFound("No such bank feed.")
        body = await request.body()
        try:
            feeds.authenticate(settings, body, request.headers)
        except feeds.FeedRefused as exc:
            raise NotAuthenticated("The bank feed's API key or signature is missing or wrong.",
                                   code="invalid_signature") from exc  # fmt: skip
        try:
            credit = feeds.parse_sepay(body)
        except feeds.Unreadable as exc:
            raise field_error(exc.field, "invalid", str(exc)) from exc
        await service.receive(credit, settings.bank_reference_prefix)
        return FeedAck()


def _qr(settings: Any, token: str, kind: str, media_type: str) -> Response[bytes]:
    """The image of a token's VietQR code, cacheable by the client until the order's reservation ends (at most
    QR_MAX_AGE_S): an image kept longer would show a transfer the order no longer awaits."""
    import io

    found = read_qr_token(settings, token)
    if found is None or not settings.bank_account:
        raise NotFound("No such transfer, or its order no longer awaits it.")
    reference, amount, max_age = found
    out = io.BytesIO()
    options: dict[str, Any] = {"xmldecl": False} if kind == "svg" else {}
    segno.make_qr(payload_of(settings, amount, reference), error="m").save(out, kind=kind, scale=8, border=4, **options)
    # The key in lower case, as Litestar keys the app's layered `no-store`: the response's own then replaces it
    # (under another spelling both would go out, and the stricter no-store would win).
    return Response(out.getvalue(), media_type=media_type, headers={"cache-control": f"private, max-age={max_age}"})


class VietQRController(Controller):
    path = "/api/v1/payments/vietqr"
    tags = ["storefront: checkout"]

    @get("/{token:str}/qr.png", operation_id="vietqr_png", media_type="image/png")
    async def png(self, token: QrToken, resources: ResourcesDep) -> Response[bytes]:
        """The VietQR code of an order's bank transfer, as a PNG (until the order's reservation ends)."""
        return _qr(resources.settings, token, "png", "image/png")

    @get("/{token:str}/qr.svg", operation_id="vietqr_svg", media_type="image/svg+xml")
    async def svg(self, token: QrToken, resources: ResourcesDep) -> Response[bytes]:
        """The VietQR code of an order's bank transfer, as SVG (until the order's reservation ends)."""
        return _qr(resources.settings, token, "svg", "image/svg+xml")


def credit_out(row: dict[str, Any]) -> BankCreditOut:
    return BankCreditOut(
        id=row["id"], provider=row["provider"], provider_id=row["provider_key"].partition(":")[2],
        gateway=row["gateway"], account_number=row["account_number"], transferred_at=rfc3339(row["transferred_at"]),
        direction=row["direction"], amount=row["amount"], content=row["content"], bank_reference=row["bank_reference"],
        reference=row["reference"], order_id=row["order_id"], outcome=row["outcome"], queue=row["queue"],
        refund_amount=row["refund_amount"], refund_reason=row["refund_reason"], resolved_by=row["resolved_by"],
        resolved_at=rfc3339(row["resolved_at"]), received_at=rfc3339(row["received_at"]),
    )  # fmt: skip


Queue = Literal["open", "assigned", "refund_flagged"]
Outcome = Literal["matched", "short", "over", "late_reserved", "refund_flagged", "unmatched", "outgoing"]


class AdminBankController(Controller):
    """Operators: the bank feed's credits, the queue of those that matched nothing, and its actions."""

    path = "/admin/v1/bank-credits"
    tags = ["admin: payments"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/", operation_id="admin_bank_credits_list")
    async def list_credits(
        self, operator: OperatorPrincipal, queue: Queue | None = None, outcome: Outcome | None = None,
        limit: Limit = DEFAULT_LIMIT, cursor: str | None = None,
    ) -> Page[BankCreditOut]:  # fmt: skip
        """Credits newest first; `queue=open` for those waiting for an operator."""
        before = str(decode_cursor(cursor, 1)[0]) if cursor else None
        rows = await service.list_credits(queue, outcome, before, limit + 1)
        return page_of([credit_out(row) for row in rows], limit, lambda last: encode_cursor(last.id))

    @get("/{credit_id:str}", operation_id="admin_bank_credits_get")
    async def get_credit(self, credit_id: str, operator: OperatorPrincipal) -> BankCreditOut:
        """One credit."""
        return credit_out(await service.get_credit(credit_id))

    @post("/{credit_id:str}/assign", operation_id="admin_bank_credits_assign", status_code=200,
          opt={PROBLEMS: ("bank_credit_not_open",)})  # fmt: skip
    async def assign(self, credit_id: str, data: AssignIn, operator: OperatorPrincipal) -> BankCreditOut:
        """Apply a credit of the queue to an order (paid, short, over or flagged as matching would have); audited."""
        return credit_out(await service.assign(credit_id, data.order_id, operator.operator_id, data.reason))

    @post("/{credit_id:str}/refund", operation_id="admin_bank_credits_refund", status_code=200,
          opt={PROBLEMS: ("bank_credit_not_open",)})  # fmt: skip
    async def refund(self, credit_id: str, data: FlagRefundIn, operator: OperatorPrincipal) -> BankCreditOut:
        """Flag a credit of the queue for refund to its sender (`bank_credit.refund_flagged`); audited."""
        return credit_out(await service.flag_refund(credit_id, operator.operator_id, data.reason))


class AdminBankReconcileController(Controller):
    path = "/admin/v1/bank-reconciliations"
    tags = ["admin: payments"]
    dependencies = {"operator": Provide(provide_operator)}

    @post("/", operation_id="admin_bank_reconcile", status_code=200, opt={PROBLEMS: ("dependency_unavailable",)})
    async def reconcile(self, operator: OperatorPrincipal, resources: ResourcesDep) -> ReconcileOut:
        """Pull the provider's transaction list now and store what the webhooks missed (the worker does it every
        ten minutes)."""
        fetched, added = await reconcile_once(resources.settings)
        return ReconcileOut(fetched, added)
