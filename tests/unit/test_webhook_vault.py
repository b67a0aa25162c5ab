"""Webhook signing secrets at rest: the box seals and opens, keys rotate by id, the settings supply the keys."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.settings import Settings, SettingsError
from market.webhooks.signing import new_secret
from market.webhooks.vault import PREFIX, SecretBox, SecretUnreadable, box_for, is_legacy, key_id

GOOD = {
    "MARKET_ENV": "development",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/market",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "MEILI_URL": "http://127.0.0.1:7700",
    "SECRET_KEY": "a3f1" * 16,
}
PRODUCTION = {**GOOD, "MARKET_ENV": "production", "MEILI_MASTER_KEY": "k" * 32, "SECRET_KEY": secrets.token_hex(32)}
OLD, NEW = secrets.token_bytes(32), secrets.token_bytes(32)


def problems_of(environ: dict[str, str]) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    return dict(caught.value.problems)


@given(st.text(max_size=200), st.text(min_size=1, max_size=32))
def test_a_sealed_secret_opens_for_its_endpoint_and_shows_nothing_of_itself(secret: str, endpoint_id: str) -> None:
    box = SecretBox(NEW)
    sealed = box.seal(secret, endpoint_id)
    assert sealed.startswith(f"{PREFIX}.{key_id(NEW)}.") and len(sealed) <= 200 + 3 * len(secret.encode())
    assert box.open(sealed, endpoint_id) == secret
    assert box.seal(secret, endpoint_id) != sealed  # a fresh nonce every time


def test_the_stored_value_of_a_real_secret_fits_its_column_and_does_not_contain_it() -> None:
    secret = new_secret()
    sealed = SecretBox(NEW).seal(secret, "whe_" + "x" * 26)
    assert len(sealed) <= 200
    assert secret not in sealed and secret[len("whsec_") :] not in sealed and not is_legacy(sealed)


def test_the_previous_key_opens_and_the_current_one_seals() -> None:
    sealed_old = SecretBox(OLD).seal("whsec_abc", "whe_1")
    rotated = SecretBox(NEW, OLD)
    assert rotated.open(sealed_old, "whe_1") == "whsec_abc"
    assert not rotated.is_current(sealed_old)
    resealed = rotated.resealed(sealed_old, "whe_1")
    assert resealed is not None and rotated.is_current(resealed) and SecretBox(NEW).open(resealed, "whe_1")
    assert rotated.resealed(resealed, "whe_1") is None


def test_a_key_that_is_not_configured_is_named_by_its_id_never_shown() -> None:
    sealed = SecretBox(OLD).seal("whsec_abc", "whe_1")
    with pytest.raises(SecretUnreadable) as caught:
        SecretBox(NEW).open(sealed, "whe_1")
    message = str(caught.value)
    assert key_id(OLD) in message and "WEBHOOK_SECRETS_KEY" in message and "whe_1" in message
    assert sealed not in message and OLD.hex() not in message


def test_a_sealed_secret_does_not_open_on_another_endpoint_or_damaged() -> None:
    box = SecretBox(NEW)
    sealed = box.seal("whsec_abc", "whe_1")
    with pytest.raises(SecretUnreadable, match="another endpoint"):
        box.open(sealed, "whe_2")
    damaged = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretUnreadable):
        box.open(damaged, "whe_1")
    with pytest.raises(SecretUnreadable, match="known format"):
        box.open("something else", "whe_1")


def test_a_legacy_plain_secret_opens_as_it_is_and_is_sealed_anew() -> None:
    box = SecretBox(NEW)
    assert box.open("whsec_legacy", "whe_1") == "whsec_legacy"
    resealed = box.resealed("whsec_legacy", "whe_1")
    assert resealed is not None and box.open(resealed, "whe_1") == "whsec_legacy"


def test_development_derives_a_key_from_secret_key_and_hides_it() -> None:
    settings = Settings.from_env(GOOD)
    assert len(settings.webhook_secrets_key) == 32
    assert settings.webhook_secrets_key != Settings.from_env({**GOOD, "SECRET_KEY": "b4" * 32}).webhook_secrets_key
    assert settings.webhook_secrets_key.hex() not in repr(settings) and "webhook_secrets_key" not in repr(settings)
    assert box_for(settings).open(box_for(Settings.from_env(GOOD)).seal("whsec_x", "whe_1"), "whe_1") == "whsec_x"
    assert settings.webhook_secrets_key.hex() not in repr(box_for(settings))


def test_production_requires_the_key_and_reads_both() -> None:
    assert "required when MARKET_ENV=production" in problems_of(PRODUCTION)["WEBHOOK_SECRETS_KEY"]
    settings = Settings.from_env({**PRODUCTION, "WEBHOOK_SECRETS_KEY": NEW.hex(),
                                  "WEBHOOK_SECRETS_KEY_PREVIOUS": OLD.hex().upper()})  # fmt: skip
    assert settings.webhook_secrets_key == NEW and settings.webhook_secrets_key_previous == OLD


@pytest.mark.parametrize("value", ["short", "zz" * 32, "ab" * 31, "ab" * 33])
@pytest.mark.parametrize("name", ["WEBHOOK_SECRETS_KEY", "WEBHOOK_SECRETS_KEY_PREVIOUS"])
def test_a_malformed_key_is_refused_by_name_without_echoing_it(name: str, value: str) -> None:
    for environ in (GOOD, {**PRODUCTION, "WEBHOOK_SECRETS_KEY": NEW.hex()}):
        problems = problems_of({**environ, name: value})
        assert "64 hex digits" in problems[name] and value not in problems[name]
        assert list(problems) == [name]  # one problem, not a second "required"
