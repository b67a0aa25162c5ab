"""Idempotent writes: the `Idempotency-Key` header with the IETF draft's meaning, kept in PostgreSQL."""
