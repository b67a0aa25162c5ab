"""The API fixtures (sellers, operators, the worker) for the notification tests."""

from tests.api.conftest import categories, operator, seller, worker

__all__ = ["categories", "operator", "seller", "worker"]
