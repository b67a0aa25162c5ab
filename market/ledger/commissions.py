"""Commission rules, managed by operators (audited). Which rule applies to an order line is decided at checkout,
in checkout's own statement, by `ledger_terms()` (migration 2026-12-02T04:42:01): the active rule with the most
scopes (seller + category, then seller or category, then global) wins, ties to the oldest; the result is frozen on
the seller order, so a later change never rewrites what an order was charged."""

from __future__ import annotations

from typing import Any

from market.audit import service as audit
from market.core.db import fetch, transaction
from market.core.errors import FieldError, NotFound, ValidationFailed
from market.core.ids import new_id
from market.core.pagination import Page, decode_time_key, page_of, time_key_cursor
from market.ledger.schemas import CommissionRuleIn, CommissionRuleOut, CommissionRulePatch


def _out(row: Any) -> CommissionRuleOut:
    scopes = [name for name, value in (("seller", row["seller_id"]), ("category", row["category_id"])) if value]
    return CommissionRuleOut(
        id=row["id"], bps=row["bps"], fixed=row["fixed"], seller_id=row["seller_id"], category_id=row["category_id"],
        active=row["active"], note=row["note"], created_at=row["created_at"], updated_at=row["updated_at"],
        scope="+".join(scopes) or "global",
    )  # fmt: skip


def _one_rate(bps: int | None, fixed: int | None) -> list[FieldError]:
    if (bps is None) == (fixed is None):
        return [FieldError("bps", "bps_or_fixed", "Give one of `bps` (percent in basis points) or `fixed`.")]
    return []


async def _scope_errors(data: CommissionRuleIn) -> list[FieldError]:
    errors = _one_rate(data.bps, data.fixed)
    if data.seller_id and not await fetch("SELECT 1 FROM seller WHERE id = $1", data.seller_id):
        errors.append(FieldError("seller_id", "unknown_seller", "No such seller."))
    if data.category_id and not await fetch("SELECT 1 FROM category WHERE id = $1", data.category_id):
        errors.append(FieldError("category_id", "unknown_category", "No such category."))
    return errors


async def create(data: CommissionRuleIn, operator_id: str) -> CommissionRuleOut:
    """A new rule (422 naming the field at fault), audited as `commission_rule.created`."""
    errors = await _scope_errors(data)
    if errors:
        raise ValidationFailed(errors)
    async with transaction():
        rows = await fetch(
            "INSERT INTO commission_rule (id, seller_id, category_id, bps, fixed, active, note, created_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, true, $6, clock_timestamp(), clock_timestamp()) RETURNING *",
            new_id("cmr"), data.seller_id, data.category_id, data.bps, data.fixed, data.note,
        )  # fmt: skip
        rule = _out(rows[0])
        await audit.record(f"operator:{operator_id}", "commission_rule.created", "commission_rule", rule.id,
                           details={"bps": rule.bps, "fixed": rule.fixed, "scope": rule.scope,
                                    "seller_id": rule.seller_id, "category_id": rule.category_id})  # fmt: skip
    return rule


async def get(rule_id: str) -> CommissionRuleOut:
    rows = await fetch("SELECT * FROM commission_rule WHERE id = $1", rule_id)
    if not rows:
        raise NotFound("No such commission rule.")
    return _out(rows[0])


async def update(rule_id: str, patch: CommissionRulePatch, operator_id: str) -> CommissionRuleOut:
    """Change a rule (audited as `commission_rule.updated` with before and after)."""
    async with transaction():
        rows = await fetch("SELECT * FROM commission_rule WHERE id = $1 FOR UPDATE", rule_id)
        if not rows:
            raise NotFound("No such commission rule.")
        before = _out(rows[0])
        bps, fixed = before.bps, before.fixed
        if patch.bps is not None or patch.fixed is not None:
            bps, fixed = patch.bps, patch.fixed
            errors = _one_rate(bps, fixed)
            if errors:
                raise ValidationFailed(errors)
        active = before.active if patch.active is None else patch.active
        note = before.note if patch.note is None else patch.note
        updated = await fetch(
            "UPDATE commission_rule SET bps = $2, fixed = $3, active = $4, note = $5, updated_at = now() "
            "WHERE id = $1 RETURNING *",
            rule_id, bps, fixed, active, note,
        )  # fmt: skip
        after = _out(updated[0])
        details = {"before": {"bps": before.bps, "fixed": before.fixed, "active": before.active},
                   "after": {"bps": after.bps, "fixed": after.fixed, "active": after.active}}  # fmt: skip
        await audit.record(f"operator:{operator_id}", "commission_rule.updated", "commission_rule", rule_id,
                           details=details)  # fmt: skip
    return after


async def archive(rule_id: str, operator_id: str) -> CommissionRuleOut:
    """Switch a rule off for good (a soft delete; orders keep their frozen terms)."""
    return await update(rule_id, CommissionRulePatch(active=False), operator_id)


async def list_rules(
    seller_id: str | None, category_id: str | None, active: bool | None, limit: int, cursor: str | None
) -> Page[CommissionRuleOut]:
    """Rules, oldest first (the order ties are broken in), with filters."""
    key = decode_time_key(cursor)
    rows = await fetch(
        "SELECT * FROM commission_rule WHERE ($1::varchar IS NULL OR seller_id = $1) "
        "AND ($2::varchar IS NULL OR category_id = $2) AND ($3::boolean IS NULL OR active = $3) "
        "AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5::varchar)) ORDER BY created_at, id LIMIT $6",
        seller_id, category_id, active, key[0] if key else None, key[1] if key else None, limit + 1,
    )  # fmt: skip
    found = [_out(row) for row in rows]
    return page_of(found, limit, time_key_cursor)
