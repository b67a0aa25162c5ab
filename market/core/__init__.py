"""Shared kernel: errors and codes, ids, outbox and events, observability, resources."""
