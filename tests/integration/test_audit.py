"""The audit trail is written with the action it records, and nobody can rewrite it."""

from __future__ import annotations

import asyncpg
import pytest

from market.audit import service as audit
from market.core.db import fetch, transaction


async def test_an_audit_row_is_written_only_inside_the_actions_transaction(client) -> None:
    with pytest.raises(audit.OutsideTransaction):
        await audit.record("operator:opr_1", "seller.approved", "seller", "sel_1")
    with pytest.raises(RuntimeError, match="rolled back"):
        async with transaction():
            await audit.record("operator:opr_1", "seller.approved", "seller", "sel_1")
            raise RuntimeError("the action failed and rolled back")
    assert await fetch("SELECT * FROM audit_event") == []
    async with transaction():
        event_id = await audit.record(
            "operator:opr_1", "seller.suspended", "seller", "sel_1", reason="fake certificates", details={"n": 2}
        )
    [row] = await fetch("SELECT * FROM audit_event")
    assert (row["event_id"], row["action"], row["reason"]) == (event_id, "seller.suspended", "fake certificates")
    assert event_id.startswith("aud_")


async def test_the_database_refuses_to_update_or_delete_audit_rows(client) -> None:
    async with transaction():
        await audit.record("operator:opr_1", "product.taken_down", "product", "prd_1", reason="counterfeit OCOP")
    for statement in ("UPDATE audit_event SET reason = 'nothing happened'", "DELETE FROM audit_event"):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await fetch(statement)
    [row] = await fetch("SELECT reason FROM audit_event")
    assert row["reason"] == "counterfeit OCOP"
