"""Faithful HTTP fakes of third parties that cannot run here (Stripe's API, the postal carrier).

Only third-party services get fakes; PostgreSQL, Redis and Meilisearch are always the real servers.
"""
