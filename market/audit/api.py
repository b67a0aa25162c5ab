"""The audit trail for operators: `GET /admin/v1/audit-events`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import Parameter

from market.audit import service
from market.audit.schemas import AuditEventOut
from market.audit.service import AuditEvent, AuditFilter
from market.core.pagination import DEFAULT_LIMIT, Page, decode_position, encode_cursor
from market.core.schemas import rfc3339
from market.web.deps import Limit
from market.web.operator_auth import OperatorPrincipal, provide_operator

Filter = Annotated[str | None, Parameter(max_length=100)]


def _out(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(
        id=event.event_id, actor=event.actor, action=event.action, subject_type=event.subject_type,
        subject_id=event.subject_id, reason=event.reason, details=event.details, at=rfc3339(event.at),
    )  # fmt: skip


class AdminAuditController(Controller):
    """Operators read what operators (and the system, for money) did."""

    path = "/admin/v1/audit-events"
    tags = ["admin: audit"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/", operation_id="admin_audit_events_list")
    async def list_events(
        self, operator: OperatorPrincipal, actor: Filter = None, action: Filter = None, subject_type: Filter = None,
        subject_id: Filter = None, since: datetime | None = None, until: datetime | None = None,
        limit: Limit = DEFAULT_LIMIT, cursor: str | None = None,
    ) -> Page[AuditEventOut]:  # fmt: skip
        """The audit trail, newest first, filtered by actor, action, subject and time (`since` <= at < `until`)."""
        where = AuditFilter(actor, action, subject_type, subject_id, since, until)
        events = await service.list_events(where, decode_position(cursor), limit + 1)
        has_more = len(events) > limit
        events = events[:limit]
        next_cursor = encode_cursor(events[-1].position) if has_more else None
        return Page(data=[_out(event) for event in events], has_more=has_more, next_cursor=next_cursor)
