"""Ledger endpoints: a seller's balance and entries; operators' balances of every seller, the marketplace's own
accounts, entries, commission rules and the monthly tax report (CSV)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from market.core.errors import field_error
from market.core.pagination import DEFAULT_LIMIT, Page
from market.ledger import accounts as accounts_module
from market.ledger import commissions, reads, tax
from market.ledger import service as ledger
from market.ledger.schemas import (
    CommissionRuleIn,
    CommissionRuleOut,
    CommissionRulePatch,
    EntryKind,
    LedgerAccountList,
    LedgerAccountOut,
    LedgerEntryOut,
    LedgerLineOut,
    SellerBalanceOut,
)
from market.web.deps import Limit
from market.web.operator_auth import OperatorPrincipal, provide_operator
from market.web.responses import LOCATION
from market.web.seller_auth import SellerPrincipal, provide_seller

READ = {"scope": "money:read"}
Month = Annotated[str, Parameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="A month, YYYY-MM (Vietnam).")]


def _balance(found: ledger.SellerBalance) -> SellerBalanceOut:
    return SellerBalanceOut(found.seller_id, found.pending, found.available, found.in_transit)


def _entry(entry: reads.Entry, with_seller: bool = False) -> LedgerEntryOut:
    return LedgerEntryOut(
        id=entry.id, kind=entry.kind, memo=entry.memo, seller_order_id=entry.seller_order_id,
        created_at=entry.created_at, pending=entry.pending, available=entry.available, in_transit=entry.in_transit,
        lines=[LedgerLineOut(line.account, line.amount) for line in entry.lines],
        seller_id=entry.seller_id if with_seller else None,
    )  # fmt: skip


def _entries(page: Page[reads.Entry], with_seller: bool = False) -> Page[LedgerEntryOut]:
    return page.map(lambda entry: _entry(entry, with_seller))


def _month(month: str) -> date:
    try:
        return date.fromisoformat(f"{month}-01")
    except ValueError:
        raise field_error("month", "invalid", "A month is YYYY-MM.") from None


class SellerLedgerController(Controller):
    """The authenticated seller's money: balances and the entries behind them."""

    path = "/seller/v1"
    tags = ["seller: money"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/balance", operation_id="seller_balance", opt=READ)
    async def balance(self, principal: SellerPrincipal) -> SellerBalanceOut:
        """The seller's balances: pending, available and in transit (đồng)."""
        return _balance(await ledger.seller_balance(principal.seller_id))

    @get("/ledger/entries", operation_id="seller_ledger_entries", opt=READ)
    async def entries(
        self,
        principal: SellerPrincipal,
        since: date | None = None,
        until: date | None = None,
        kind: EntryKind | None = None,
        seller_order_id: Annotated[str | None, Parameter(max_length=32)] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[LedgerEntryOut]:
        """The seller's entries, newest first, by Vietnamese date range (inclusive), kind and seller order."""
        filters = reads.EntryFilter(principal.seller_id, since, until, kind, seller_order_id)
        return _entries(await reads.entries(filters, limit, cursor))


class AdminLedgerController(Controller):
    """Operators' view of the money: every seller's balances, the marketplace's accounts, entries, tax."""

    path = "/admin/v1"
    tags = ["admin: money"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/ledger/balances", operation_id="admin_ledger_balances")
    async def balances(
        self, operator: OperatorPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[SellerBalanceOut]:
        """Every seller's balances, by seller id."""
        page = await reads.sellers(limit, cursor)
        return page.map(_balance)

    @get("/ledger/accounts", operation_id="admin_ledger_accounts")
    async def accounts(self, operator: OperatorPrincipal) -> LedgerAccountList:
        """The marketplace's own accounts with their balances (and the sellers' payouts in transit)."""
        found = await ledger.platform_balances()
        normal = {**accounts_module.PLATFORM, "payouts_in_transit": "credit"}
        return LedgerAccountList([LedgerAccountOut(name, normal[name], balance) for name, balance in found.items()])

    @get("/ledger/entries", operation_id="admin_ledger_entries")
    async def entries(
        self,
        operator: OperatorPrincipal,
        seller_id: Annotated[str | None, Parameter(max_length=32)] = None,
        since: date | None = None,
        until: date | None = None,
        kind: EntryKind | None = None,
        seller_order_id: Annotated[str | None, Parameter(max_length=32)] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[LedgerEntryOut]:
        """Entries, newest first, by seller, Vietnamese date range, kind and seller order."""
        filters = reads.EntryFilter(seller_id, since, until, kind, seller_order_id)
        return _entries(await reads.entries(filters, limit, cursor), with_seller=True)

    @get(
        "/tax-reports/{month:str}",
        operation_id="admin_tax_report",
        responses={200: ResponseSpec(str, description="The month's report as CSV.", media_type="text/csv")},
    )
    async def tax_report(
        self, operator: OperatorPrincipal, month: str,
        seller_id: Annotated[str | None, Parameter(max_length=32)] = None,
    ) -> Response[str]:  # fmt: skip
        """The month's withholding report per seller (YYYY-MM, Vietnamese calendar) as CSV for the declaration."""
        day = _month(month)
        body = tax.to_csv(day, await tax.report(day, seller_id))
        filename = f"thue-khau-tru-{month}.csv"
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip

    @get("/commission-rules", operation_id="admin_commission_rules_list")
    async def list_rules(
        self,
        operator: OperatorPrincipal,
        seller_id: Annotated[str | None, Parameter(max_length=32)] = None,
        category_id: Annotated[str | None, Parameter(max_length=32)] = None,
        active: bool | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[CommissionRuleOut]:
        """Commission rules, oldest first (the order ties are broken in)."""
        return await commissions.list_rules(seller_id, category_id, active, limit, cursor)

    @post("/commission-rules", operation_id="admin_commission_rules_create", status_code=201,
          opt={LOCATION: "/admin/v1/commission-rules/{content.id}"})  # fmt: skip
    async def create_rule(self, operator: OperatorPrincipal, data: CommissionRuleIn) -> CommissionRuleOut:
        """Add a commission rule (basis points or fixed per line; global, seller, category or both)."""
        return await commissions.create(data, operator.operator_id)

    @get("/commission-rules/{rule_id:str}", operation_id="admin_commission_rules_get")
    async def get_rule(self, operator: OperatorPrincipal, rule_id: str) -> CommissionRuleOut:
        """One commission rule."""
        return await commissions.get(rule_id)

    @patch("/commission-rules/{rule_id:str}", operation_id="admin_commission_rules_update")
    async def update_rule(
        self, operator: OperatorPrincipal, rule_id: str, data: CommissionRulePatch
    ) -> CommissionRuleOut:
        """Change a rule's rate or note, or switch it on or off (orders keep their frozen terms)."""
        return await commissions.update(rule_id, data, operator.operator_id)

    @delete("/commission-rules/{rule_id:str}", operation_id="admin_commission_rules_archive", status_code=200)
    async def archive_rule(self, operator: OperatorPrincipal, rule_id: str) -> CommissionRuleOut:
        """Switch a rule off (a soft delete: it stays listed, inactive)."""
        return await commissions.archive(rule_id, operator.operator_id)
