"""Meilisearch product search: index settings and synonyms, document mapping, sync, query building and its API.

Modules: `index` (uid, settings, `ensure_index`), `synonyms` (the operators' file), `mapping` (catalog documents
plus `doc_hash`), `indexer` (`mark_pending`, `sync_once`, `IndexSync`), `handlers` (event handlers the worker
imports), `vietnamese` (diacritics encoded as letters, query rewriting), `query` and `service` (typed search,
facets cached in Redis), `suggest` (suggestions, kept per process) and `suggest_index` (the suggestions index
and its rebuild), `api` (`SearchController`), `reindex` and `check` (operations),
`relevance` (the judged query set and `market search eval`).
Domain code in `market` never imports this package: it writes outbox events that the worker routes here.
"""
