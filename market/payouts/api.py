"""Payouts over HTTP: a seller's bank account, payouts and statements; operators' payout batches."""

from __future__ import annotations

from litestar import Controller, Response, get, post, put
from litestar.di import Provide

from market.audit.service import operator_actor
from market.core.idempotency.service import checked_key
from market.core.pagination import (
    DEFAULT_LIMIT,
    Page,
    decode_cursor,
    decode_time_key,
    encode_cursor,
    page_of,
    time_key_cursor,
)
from market.payouts import accounts, exports, pdf, service, statements
from market.payouts.mapping import (
    admin_payout_out,
    bank_account_out,
    batch_detail,
    batch_out,
    payout_out,
)
from market.payouts.schemas import (
    AdminPayoutOut,
    BankAccountIn,
    BankAccountOut,
    PayoutBatchDetail,
    PayoutBatchIn,
    PayoutBatchOut,
    PayoutOut,
    PayoutPaidIn,
    PayoutReasonIn,
)
from market.settings import Settings
from market.web.deps import IdempotencyKeyHeader, Limit, ResourcesDep
from market.web.openapi.routes import PROBLEMS
from market.web.operator_auth import OperatorPrincipal, provide_operator
from market.web.responses import LOCATION
from market.web.seller_auth import SellerPrincipal, provide_seller

CSV, XLSX, PDF, PNG = (
    "text/csv; charset=utf-8",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/pdf",
    "image/png",
)
MONEY_READ = {"scope": "money:read"}
"""The ledger's scope for a key that reads the seller's money (member sessions carry every scope)."""


def _file(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _marketplace(settings: Settings) -> statements.Party:
    return statements.Party(settings.marketplace_legal_name, settings.marketplace_tax_code,
                            settings.marketplace_address)  # fmt: skip


class SellerPayoutController(Controller):
    """The seller's payout bank account, its payouts and its monthly statements."""

    path = "/seller/v1"
    tags = ["seller: payouts"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/bank-account", operation_id="seller_bank_account_get", opt=MONEY_READ)
    async def bank_account(self, principal: SellerPrincipal) -> BankAccountOut:
        """The current payout account (number masked), with when payouts may go to it (`effective_at`)."""
        return bank_account_out(await accounts.get_current(principal.seller_id))

    @put("/bank-account", operation_id="seller_bank_account_set", opt={"owner": True})
    async def set_bank_account(
        self, data: BankAccountIn, principal: SellerPrincipal, resources: ResourcesDep
    ) -> BankAccountOut:
        """Set or change the payout account (owner only); payouts wait PAYOUT_ACCOUNT_COOLING_OFF_H hours for it."""
        account, _ = await accounts.set_account(
            principal.seller_id, data.bank_bin, data.account_number, data.holder_name,
            actor=f"seller:{principal.seller_id}:{principal.account_id}",
            cooling_off_h=resources.settings.payout_account_cooling_off_h,
        )  # fmt: skip
        return bank_account_out(account)

    @get("/bank-account/history", operation_id="seller_bank_account_history", opt=MONEY_READ)
    async def bank_account_history(
        self, principal: SellerPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[BankAccountOut]:
        """Every version of the payout account, newest first, with who set it and when."""
        rows = await accounts.history(principal.seller_id, decode_time_key(cursor), limit + 1)
        page = page_of(rows, limit, time_key_cursor)
        return page.map(bank_account_out)

    @get("/payouts", operation_id="seller_payouts_list", opt=MONEY_READ)
    async def payouts(
        self, principal: SellerPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[PayoutOut]:
        """The seller's payouts, newest first: amount, reference, status and the bank's reference."""
        rows = await service.seller_payouts(principal.seller_id, decode_time_key(cursor), limit + 1)
        page = page_of(rows, limit, time_key_cursor)
        return page.map(payout_out)

    @get("/payouts/{payout_id:str}", operation_id="seller_payouts_get", opt=MONEY_READ)
    async def payout(self, payout_id: str, principal: SellerPrincipal) -> PayoutOut:
        """One payout of the seller."""
        return payout_out(await service.seller_payout(principal.seller_id, payout_id))

    @get("/statements/{month:str}/csv", operation_id="seller_statement_csv", media_type=CSV, opt=MONEY_READ)
    async def statement_csv(self, month: str, principal: SellerPrincipal, resources: ResourcesDep) -> Response[bytes]:
        """The monthly statement (`month` as YYYY-MM, Vietnamese calendar) as CSV."""
        doc = await statements.statement(principal.seller_id, month, _marketplace(resources.settings))
        return _file(statements.to_csv(doc), CSV, f"sao-ke-{month}.csv")

    @get("/statements/{month:str}/pdf", operation_id="seller_statement_pdf", media_type=PDF, opt=MONEY_READ)
    async def statement_pdf(self, month: str, principal: SellerPrincipal, resources: ResourcesDep) -> Response[bytes]:
        """The monthly statement (`month` as YYYY-MM) as a PDF in Vietnamese."""
        doc = await statements.statement(principal.seller_id, month, _marketplace(resources.settings))
        return _file(pdf.render(doc), PDF, f"sao-ke-{month}.pdf")


class AdminPayoutController(Controller):
    """Operators' payout batches: create, read, export for the bank, mark lines paid, failed or returned."""

    path = "/admin/v1/payout-batches"
    tags = ["admin: payouts"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/", operation_id="admin_payout_batches_list")
    async def list_batches(
        self, operator: OperatorPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[PayoutBatchOut]:
        """Payout batches, newest first."""
        before = decode_cursor(cursor, 1)[0] if cursor else None
        rows = await service.list_batches(before if isinstance(before, int) else None, limit + 1)
        page = page_of(rows, limit, lambda last: encode_cursor(last.number))
        return page.map(batch_out)

    @post("/", operation_id="admin_payout_batches_create", opt={LOCATION: "/admin/v1/payout-batches/{content.id}"})
    async def create(
        self,
        data: PayoutBatchIn,
        operator: OperatorPrincipal,
        resources: ResourcesDep,
        idempotency_key: IdempotencyKeyHeader,
    ) -> PayoutBatchOut:
        """Create the batch of a period; needs an Idempotency-Key (the same key or period again: the first batch)."""
        key = f"admin:{checked_key(idempotency_key)}"
        batch, _ = await service.create_batch(data.period_start, data.period_end, actor=operator_actor(
            operator.operator_id), minimum=resources.settings.payout_minimum_vnd, request_key=key)  # fmt: skip
        return batch_out(batch)

    @get("/{batch_id:str}", operation_id="admin_payout_batches_get")
    async def get_batch(self, batch_id: str, operator: OperatorPrincipal) -> PayoutBatchDetail:
        """One batch with its first 100 lines (full account numbers and VietQR payloads)."""
        batch = await service.get_batch(batch_id)
        lines = await service.lines_of(batch_id, None, 101)
        return batch_detail(batch, lines[:100], len(lines) > 100)

    @get("/{batch_id:str}/lines", operation_id="admin_payout_batches_lines")
    async def lines(
        self, batch_id: str, operator: OperatorPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[AdminPayoutOut]:
        """A batch's lines in reference order."""
        await service.get_batch(batch_id)
        after = str(decode_cursor(cursor, 1)[0]) if cursor else None
        page = page_of(await service.lines_of(batch_id, after, limit + 1), limit,
                       lambda last: encode_cursor(last.reference))  # fmt: skip
        return page.map(admin_payout_out)

    @get("/{batch_id:str}/export/csv", operation_id="admin_payout_batches_export_csv", media_type=CSV)
    async def export_csv(self, batch_id: str, operator: OperatorPrincipal) -> Response[bytes]:
        """The bank bulk-transfer file as CSV (the same bytes every time; the first export is recorded)."""
        batch = await service.mark_exported(batch_id, operator_actor(operator.operator_id))
        return _file(exports.to_csv(await service.lines_of(batch_id)), CSV, f"chi-tra-{batch.number:05d}.csv")

    @get("/{batch_id:str}/export/xlsx", operation_id="admin_payout_batches_export_xlsx", media_type=XLSX)
    async def export_xlsx(self, batch_id: str, operator: OperatorPrincipal) -> Response[bytes]:
        """The bank bulk-transfer file as an XLSX workbook, with a sheet of VietQR payloads."""
        batch = await service.mark_exported(batch_id, operator_actor(operator.operator_id))
        body = exports.to_xlsx(batch, await service.lines_of(batch_id))
        return _file(body, XLSX, f"chi-tra-{batch.number:05d}.xlsx")

    @get("/{batch_id:str}/lines/{line_id:str}/qr", operation_id="admin_payout_lines_qr", media_type=PNG)
    async def qr(self, batch_id: str, line_id: str, operator: OperatorPrincipal) -> Response[bytes]:
        """The line's VietQR code as a PNG image, to scan in a banking app."""
        line = await service.get_line(batch_id, line_id)
        return Response(exports.qr_png(line), media_type=PNG)

    @post("/{batch_id:str}/lines/{line_id:str}/paid", operation_id="admin_payout_lines_paid", status_code=200,
          opt={PROBLEMS: ("payout_line_settled",)})  # fmt: skip
    async def paid(
        self, batch_id: str, line_id: str, data: PayoutPaidIn, operator: OperatorPrincipal
    ) -> AdminPayoutOut:
        """Mark a line paid with the bank's reference (again with the same reference: no change)."""
        line, _ = await service.mark(batch_id, line_id, "paid", actor=operator_actor(operator.operator_id),
                                     bank_reference=data.bank_reference)  # fmt: skip
        return admin_payout_out(line)

    @post("/{batch_id:str}/lines/{line_id:str}/failed", operation_id="admin_payout_lines_failed", status_code=200,
          opt={PROBLEMS: ("payout_line_settled",)})  # fmt: skip
    async def failed(
        self, batch_id: str, line_id: str, data: PayoutReasonIn, operator: OperatorPrincipal
    ) -> AdminPayoutOut:
        """Mark a pending line failed: its amount goes back to the seller's available balance."""
        line, _ = await service.mark(batch_id, line_id, "failed", actor=operator_actor(operator.operator_id),
                                     reason=data.reason)  # fmt: skip
        return admin_payout_out(line)

    @post("/{batch_id:str}/lines/{line_id:str}/returned", operation_id="admin_payout_lines_returned",
          status_code=200, opt={PROBLEMS: ("payout_line_settled",)})  # fmt: skip
    async def returned(
        self, batch_id: str, line_id: str, data: PayoutReasonIn, operator: OperatorPrincipal
    ) -> AdminPayoutOut:
        """The bank sent a paid transfer back: the payout is reversed, its amount available to the seller again."""
        line, _ = await service.mark(batch_id, line_id, "returned", actor=operator_actor(operator.operator_id),
                                     reason=data.reason)  # fmt: skip
        return admin_payout_out(line)
