"""The tests' Stripe: the development simulator itself (`market.simulators.stripe`), started in-process by
tests/conftest.py."""

from market.simulators.stripe import FakeStripe, StripeError, parse_form, signed

__all__ = ["FakeStripe", "StripeError", "parse_form", "signed"]
