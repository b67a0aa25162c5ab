"""Settings refuse to start on missing or malformed values, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from market.settings import Settings, SettingsError

GOOD = {
    "MARKET_ENV": "development",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/market",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MEILI_URL": "http://127.0.0.1:7700",
    "SECRET_KEY": "a3f1" * 16,
}


def problems_of(environ: dict[str, str]) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    return dict(caught.value.problems)


def test_valid_environment_reads_typed_values() -> None:
    settings = Settings.from_env({**GOOD, "DB_POOL_MAX": "7", "LOG_ACCESS": "off"})
    assert settings.db_pool_max == 7
    assert settings.log_access is False
    assert settings.secret_key not in repr(settings)


def test_every_missing_variable_is_named_at_once() -> None:
    problems = problems_of({})
    assert set(problems) >= {"DATABASE_URL", "REDIS_URL", "MEILI_URL", "SECRET_KEY"}


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DATABASE_URL", "mysql://root@localhost/market", "scheme postgres"),
        ("REDIS_URL", "not a url", "scheme redis"),
        ("SECRET_KEY", "short", "at least 32"),
        ("DB_POOL_MAX", "many", "whole number"),
        ("DB_POOL_MAX", "0", "between 1 and 500"),
        ("DEPENDENCY_TIMEOUT_S", "fast", "must be a number"),
        ("LOG_LEVEL", "loud", "must be one of"),
        ("LOG_ACCESS", "maybe", "true or false"),
        ("MARKET_ENV", "staging", "must be one of"),
        ("TRUSTED_PROXY_HEADER", "X-Forwarded-For: 1.2.3.4", "HTTP header name"),
        ("AUTH_ATTEMPTS_PER_ADDRESS", "0", "between 1 and 100000"),
    ],
)
def test_malformed_value_is_named(name: str, value: str, fragment: str) -> None:
    problems = problems_of({**GOOD, name: value})
    assert fragment in problems[name]


def test_production_refuses_placeholder_secret_and_missing_meili_key() -> None:
    problems = problems_of({**GOOD, "MARKET_ENV": "production", "SECRET_KEY": "change-me-" * 4})
    assert "placeholder" in problems["SECRET_KEY"]
    assert "MEILI_MASTER_KEY" in problems


def test_production_is_the_default_environment() -> None:
    environ = {key: value for key, value in GOOD.items() if key != "MARKET_ENV"}
    assert "MEILI_MASTER_KEY" in problems_of(environ)


def test_cli_stops_with_a_message_naming_the_variable() -> None:
    environ = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "market.cli", "serve"], env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "SECRET_KEY: is required" in result.stderr
    assert "REDIS_URL: is required" in result.stderr


def test_no_proxy_header_is_trusted_unless_configured() -> None:
    assert Settings.from_env(GOOD).trusted_proxy_header is None
    assert Settings.from_env({**GOOD, "TRUSTED_PROXY_HEADER": "X-Real-IP"}).trusted_proxy_header == "x-real-ip"


def test_payments_and_the_carrier_need_all_their_secrets() -> None:
    assert "STRIPE_SECRET_KEY" in problems_of({**GOOD, "STRIPE_SECRET_KEY": "sk_test_x"})
    assert "CARRIER_API_BASE" in problems_of({**GOOD, "CARRIER_API_BASE": "http://127.0.0.1:8700",
                                             "CARRIER_PARTNER_SECRET": "p"})  # fmt: skip
    assert "STRIPE_API_BASE" in problems_of({**GOOD, "STRIPE_API_BASE": "ftp://stripe"})
    complete = Settings.from_env({**GOOD, "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
                                  "STRIPE_WEBHOOK_SECRET": "whsec_x"})  # fmt: skip
    assert complete.card_payments and not Settings.from_env(GOOD).card_payments


def test_cards_are_refused_without_stripe() -> None:
    from market.core.errors import ValidationFailed
    from market.payments.registry import gateway_for

    with pytest.raises(ValidationFailed) as refused:
        gateway_for("card", Settings.from_env(GOOD))
    assert refused.value.errors[0].code == "payment_method_unavailable"
    assert gateway_for("cod", Settings.from_env(GOOD)).method == "cod"


def test_a_notification_lease_shorter_than_the_longest_send_is_refused() -> None:
    """A lease that can end while an email is still being handed over would let a second sender send it again."""
    slow = {**GOOD, "NOTIFY_TIMEOUT_S": "10", "SMTP_DATA_TIMEOUT_S": "60", "NOTIFY_LEASE_S": "120"}
    problem = problems_of(slow)["NOTIFY_LEASE_S"]
    assert "at least 210 s" in problem and "SMTP_DATA_TIMEOUT_S" in problem
    settings = Settings.from_env({**slow, "NOTIFY_LEASE_S": "210"})
    assert settings.notify_lease_s == 210 and settings.notify_send_bound_s == 200
    assert Settings.from_env(GOOD).notify_lease_s >= Settings.from_env(GOOD).notify_send_bound_s + 10
