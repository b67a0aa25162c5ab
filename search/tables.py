"""Search sync state."""

from __future__ import annotations

from piccolo.columns import Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class SearchPending(Table, tablename="search_pending"):
    """A product whose search document must be rewritten from PostgreSQL (upserted, or deleted if not public).

    Rows are written by the worker's event handler and removed by the indexer once Meilisearch has applied the
    batch, so an outage of Meilisearch only delays them.
    """

    product_id = Varchar(length=32, primary_key=True)
    marked_at = Timestamptz(default=TimestamptzNow())
