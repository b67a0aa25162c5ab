"""Meilisearch product search: index settings and synonyms, document mapping, sync, query building and its API.

Modules: `index` (uid, settings, `ensure_index`), `synonyms` (the operators' file), `mapping` (catalog documents
plus `doc_hash`), `indexer` (`mark_pending`, `sync_once`, `IndexSync`), `handlers` (event handlers the worker
imports), `query` and `service` (typed search), `api` (`SearchController`), `reindex` and `check` (operations).
Domain code in `market` never imports this package: it writes outbox events that the worker routes here.
"""
