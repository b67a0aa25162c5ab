"""Meilisearch: index settings and synonyms, document mapping, indexer, query building and the search API.

The foundation only opens the client (`market.core.resources.meili_client`) and checks its health; the catalog
issue fills this package. Domain code in `market` never imports it: it writes outbox events that the worker routes
here.
"""
