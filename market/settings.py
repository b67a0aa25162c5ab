"""Typed settings read from the environment and validated at start.

Every variable is documented in `.env.example`. A missing or malformed value stops the app with a message that
names the variable; secrets have no default at all, so nothing insecure can start by accident.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

Environment = Literal["development", "test", "production"]
LogFormat = Literal["json", "console"]
T = TypeVar("T")
N = TypeVar("N", int, float)

_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_WEAK_SECRET_MARKERS = ("change", "secret", "example", "dev", "test", "password")
_AEAD_KEY = re.compile(r"^[0-9a-fA-F]{64}$")
_KEY_HINT = "32 bytes as 64 hex digits (generate one: openssl rand -hex 32)"
LEASE_MARGIN_S = 10.0
"""What a notification sender's lease keeps beyond its longest send, to record the outcome."""


def derived_key(secret_key: str, purpose: str) -> bytes:
    """A 32-byte key for `purpose` derived from SECRET_KEY with HKDF-SHA256 (development and test only)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"market {purpose} v1".encode())
    return hkdf.derive(secret_key.encode())


class SettingsError(Exception):
    """Raised when one or more environment variables are missing or malformed."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {name}: {message}" for name, message in problems)
        super().__init__(f"invalid configuration:\n{lines}")


@dataclass(frozen=True)
class Settings:
    """The whole configuration of the API and the worker."""

    env: Environment
    database_url: str
    redis_url: str
    meili_url: str
    meili_master_key: str | None = field(repr=False)
    secret_key: str = field(repr=False)
    redis_key_prefix: str = "market:"
    meili_index_prefix: str = ""
    db_pool_max: int = 20
    dependency_timeout_s: float = 1.0
    log_level: str = "info"
    log_format: LogFormat = "json"
    log_access: bool = True
    worker_concurrency: int = 10
    outbox_poll_interval_ms: int = 100
    outbox_batch_size: int = 200
    outbox_redeliver_after_s: int = 300
    session_ttl_s: int = 14 * 86_400
    image_trusted_hosts: tuple[str, ...] = ()
    search_synonyms_file: str = str(Path(__file__).resolve().parent.parent / "search" / "data" / "synonyms.txt")
    product_cache_ttl_s: int = 300
    search_facets_ttl_s: int = 30
    search_suggest_ttl_s: int = 30
    search_suggest_refresh_s: int = 300
    trusted_proxy_header: str | None = None
    auth_attempts_per_address: int = 20
    auth_failures_per_account: int = 10
    reservation_ttl_s: int = 1800
    return_window_days: int = 3
    guest_checkouts_per_address: int = 20
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None
    stripe_timeout_s: float = 10.0
    carrier_api_base: str | None = None
    carrier_partner_id: str = "market"
    carrier_partner_secret: str = field(default="", repr=False)
    carrier_webhook_secret: str = field(default="", repr=False)
    carrier_timeout_s: float = 2.0
    carrier_quote_timeout_s: float = 0.3
    cod_remittance_due_days: int = 7
    # Bank transfers (VietQR) and the bank feed (track banktransfer).
    bank_bin: str = "970436"
    bank_account: str | None = None
    bank_holder: str = "CONG TY MARKET"
    bank_reference_prefix: str = "MK"
    bank_feed_api_key: str | None = field(default=None, repr=False)
    bank_feed_hmac_secret: str | None = field(default=None, repr=False)
    bank_feed_api_base: str | None = None
    bank_feed_api_token: str | None = field(default=None, repr=False)
    # Payouts (market.payouts).
    payout_account_cooling_off_h: int = 48
    payout_minimum_vnd: int = 50_000
    payout_weekday: int | None = 0
    marketplace_legal_name: str = "Công ty TNHH Chợ Nông sản Tây Ninh"
    marketplace_tax_code: str = "3901234567"
    marketplace_address: str = "Phường Tân Ninh, Tỉnh Tây Ninh"
    # Notifications (market.notifications): the channels' providers and the messages' links.
    marketplace_name: str = "Chợ Nông Sản Tây Ninh"
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str = "Chợ Nông Sản Tây Ninh <no-reply@localhost>"
    zns_api_base: str | None = None
    zns_access_token: str | None = field(default=None, repr=False)
    sms_api_base: str | None = None
    sms_api_key: str | None = field(default=None, repr=False)
    sms_brandname: str = "CHONONGSAN"
    notify_max_attempts: int = 12
    notify_batch_size: int = 100
    notify_timeout_s: float = 5.0
    smtp_data_timeout_s: float = 30.0
    notify_lease_s: float = 150.0
    # Seller webhooks (market.webhooks).
    webhook_allow_loopback: bool = False
    webhook_timeout_s: float = 10.0
    webhook_secret_overlap_s: int = 86_400
    webhook_concurrency: int = 50
    webhook_per_endpoint: int = 2
    webhook_secrets_key: bytes = field(default=b"", repr=False)
    webhook_secrets_key_previous: bytes | None = field(default=None, repr=False)

    @property
    def card_payments(self) -> bool:
        """Card payments are offered when Stripe is configured."""
        return bool(self.stripe_secret_key)

    @property
    def bank_transfers(self) -> bool:
        """Bank transfers are offered when the collection account and the bank feed's credentials are set."""
        return bool(self.bank_account and (self.bank_feed_api_key or self.bank_feed_hmac_secret))

    @property
    def notify_send_bound_s(self) -> float:
        """The longest one provider call can take: an SMTP session's connect and up to seven commands (EHLO,
        STARTTLS, EHLO, AUTH's two steps, MAIL, RCPT) at NOTIFY_TIMEOUT_S each, then DATA's two answers at
        SMTP_DATA_TIMEOUT_S (an HTTP call to ZNS or SMS takes less)."""
        return 8 * self.notify_timeout_s + 2 * self.smtp_data_timeout_s

    @property
    def queue_name(self) -> str:
        """Name of the SAQ queue; namespaced by the Redis key prefix so test runs never share one."""
        return f"{self.redis_key_prefix}jobs"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings.

        Args:
            environ: the variables to read; `os.environ` when omitted.

        Raises:
            SettingsError: naming every variable that is missing or malformed.
        """
        reader = _Reader(os.environ if environ is None else environ)
        env = reader.choice("MARKET_ENV", ("development", "test", "production"), default="production")
        settings = cls(
            env=env,
            database_url=reader.url("DATABASE_URL", ("postgres", "postgresql")),
            redis_url=reader.url("REDIS_URL", ("redis", "rediss")),
            meili_url=reader.url("MEILI_URL", ("http", "https")),
            meili_master_key=reader.optional("MEILI_MASTER_KEY"),
            secret_key=reader.secret("SECRET_KEY", production=env == "production"),
            redis_key_prefix=reader.text("REDIS_KEY_PREFIX", "market:"),
            meili_index_prefix=reader.text("MEILI_INDEX_PREFIX", ""),
            db_pool_max=reader.integer("DB_POOL_MAX", 20, low=1, high=500),
            dependency_timeout_s=reader.number("DEPENDENCY_TIMEOUT_S", 1.0, low=0.05, high=30),
            log_level=reader.choice("LOG_LEVEL", ("debug", "info", "warning", "error"), default="info"),
            log_format=reader.choice("LOG_FORMAT", ("json", "console"), default="json"),
            log_access=reader.boolean("LOG_ACCESS", True),
            worker_concurrency=reader.integer("WORKER_CONCURRENCY", 10, low=1, high=200),
            outbox_poll_interval_ms=reader.integer("OUTBOX_POLL_INTERVAL_MS", 100, low=10, high=60_000),
            outbox_batch_size=reader.integer("OUTBOX_BATCH_SIZE", 200, low=1, high=5_000),
            outbox_redeliver_after_s=reader.integer("OUTBOX_REDELIVER_AFTER_S", 300, low=5, high=86_400),
            session_ttl_s=reader.integer("SESSION_TTL_S", 14 * 86_400, low=300, high=90 * 86_400),
            image_trusted_hosts=tuple(
                host.strip().lower() for host in reader.text("IMAGE_TRUSTED_HOSTS", "").split(",") if host.strip()
            ),
            search_synonyms_file=reader.text("SEARCH_SYNONYMS_FILE", cls.search_synonyms_file),
            product_cache_ttl_s=reader.integer("PRODUCT_CACHE_TTL_S", 300, low=0, high=86_400),
            search_facets_ttl_s=reader.integer("SEARCH_FACETS_TTL_S", 30, low=0, high=3_600),
            search_suggest_ttl_s=reader.integer("SEARCH_SUGGEST_TTL_S", 30, low=0, high=3_600),
            search_suggest_refresh_s=reader.integer("SEARCH_SUGGEST_REFRESH_S", 300, low=5, high=86_400),
            trusted_proxy_header=reader.header_name("TRUSTED_PROXY_HEADER"),
            auth_attempts_per_address=reader.integer("AUTH_ATTEMPTS_PER_ADDRESS", 20, low=1, high=100_000),
            auth_failures_per_account=reader.integer("AUTH_FAILURES_PER_ACCOUNT", 10, low=1, high=10_000),
            reservation_ttl_s=reader.integer("RESERVATION_TTL_S", 1800, low=1, high=7 * 86_400),
            return_window_days=reader.integer("RETURN_WINDOW_DAYS", 3, low=0, high=60),
            guest_checkouts_per_address=reader.integer("GUEST_CHECKOUTS_PER_ADDRESS", 20, low=1, high=10_000_000),
            stripe_secret_key=reader.optional("STRIPE_SECRET_KEY"),
            stripe_publishable_key=reader.optional("STRIPE_PUBLISHABLE_KEY"),
            stripe_webhook_secret=reader.optional("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base=reader.optional("STRIPE_API_BASE"),
            stripe_timeout_s=reader.number("STRIPE_TIMEOUT_S", 10.0, low=0.1, high=80),
            carrier_api_base=reader.optional("CARRIER_API_BASE"),
            carrier_partner_id=reader.text("CARRIER_PARTNER_ID", "market"),
            carrier_partner_secret=reader.optional("CARRIER_PARTNER_SECRET") or "",
            carrier_webhook_secret=reader.optional("CARRIER_WEBHOOK_SECRET") or "",
            carrier_timeout_s=reader.number("CARRIER_TIMEOUT_S", 2.0, low=0.1, high=60),
            carrier_quote_timeout_s=reader.number("CARRIER_QUOTE_TIMEOUT_S", 0.3, low=0.05, high=10),
            cod_remittance_due_days=reader.integer("COD_REMITTANCE_DUE_DAYS", 7, low=1, high=90),
            bank_bin=reader.text("BANK_BIN", "970436"),
            bank_account=reader.optional("BANK_ACCOUNT"),
            bank_holder=reader.text("BANK_HOLDER", "CONG TY MARKET"),
            bank_reference_prefix=reader.text("BANK_REFERENCE_PREFIX", "MK").upper(),
            bank_feed_api_key=reader.optional("BANK_FEED_API_KEY"),
            bank_feed_hmac_secret=reader.optional("BANK_FEED_HMAC_SECRET"),
            bank_feed_api_base=reader.optional("BANK_FEED_API_BASE"),
            bank_feed_api_token=reader.optional("BANK_FEED_API_TOKEN"),
            # Payouts (market.payouts).
            payout_account_cooling_off_h=reader.integer("PAYOUT_ACCOUNT_COOLING_OFF_H", 48, low=0, high=30 * 24),
            payout_minimum_vnd=reader.integer("PAYOUT_MINIMUM_VND", 50_000, low=1, high=10_000_000_000),
            payout_weekday=reader.weekday("PAYOUT_WEEKDAY", 0),
            marketplace_legal_name=reader.text("MARKETPLACE_LEGAL_NAME", cls.marketplace_legal_name),
            marketplace_tax_code=reader.text("MARKETPLACE_TAX_CODE", cls.marketplace_tax_code),
            marketplace_address=reader.text("MARKETPLACE_ADDRESS", cls.marketplace_address),
            # Notifications.
            marketplace_name=reader.text("MARKETPLACE_NAME", cls.marketplace_name),
            public_base_url=reader.text("PUBLIC_BASE_URL", cls.public_base_url).rstrip("/"),
            smtp_host=reader.optional("SMTP_HOST"),
            smtp_port=reader.integer("SMTP_PORT", 25, low=1, high=65_535),
            smtp_username=reader.optional("SMTP_USERNAME"),
            smtp_password=reader.optional("SMTP_PASSWORD"),
            smtp_starttls=reader.boolean("SMTP_STARTTLS", False),
            mail_from=reader.text("MAIL_FROM", cls.mail_from),
            zns_api_base=reader.optional("ZNS_API_BASE"),
            zns_access_token=reader.optional("ZNS_ACCESS_TOKEN"),
            sms_api_base=reader.optional("SMS_API_BASE"),
            sms_api_key=reader.optional("SMS_API_KEY"),
            sms_brandname=reader.text("SMS_BRANDNAME", cls.sms_brandname),
            notify_max_attempts=reader.integer("NOTIFY_MAX_ATTEMPTS", 12, low=1, high=100),
            notify_batch_size=reader.integer("NOTIFY_BATCH_SIZE", 100, low=1, high=2_000),
            notify_timeout_s=reader.number("NOTIFY_TIMEOUT_S", 5.0, low=0.1, high=60),
            smtp_data_timeout_s=reader.number("SMTP_DATA_TIMEOUT_S", 30.0, low=0.1, high=600),
            notify_lease_s=reader.number("NOTIFY_LEASE_S", 150.0, low=1, high=3_600),
            # Seller webhooks (market.webhooks).
            webhook_allow_loopback=reader.boolean("WEBHOOK_ALLOW_LOOPBACK", False),
            webhook_timeout_s=reader.number("WEBHOOK_TIMEOUT_S", 10.0, low=0.1, high=60),
            webhook_secret_overlap_s=reader.integer("WEBHOOK_SECRET_OVERLAP_S", 86_400, low=0, high=30 * 86_400),
            webhook_concurrency=reader.integer("WEBHOOK_CONCURRENCY", 50, low=1, high=1_000),
            webhook_per_endpoint=reader.integer("WEBHOOK_PER_ENDPOINT", 2, low=1, high=20),
            webhook_secrets_key=reader.aead_key("WEBHOOK_SECRETS_KEY") or b"",
            webhook_secrets_key_previous=reader.aead_key("WEBHOOK_SECRETS_KEY_PREVIOUS"),
        )
        _check_bank(settings, reader.problems)
        if not settings.webhook_secrets_key:
            if env == "production":
                if reader.optional("WEBHOOK_SECRETS_KEY") is None:
                    reader.problems.append(("WEBHOOK_SECRETS_KEY", f"required when MARKET_ENV=production; {_KEY_HINT}"))
            else:  # development and test: a key of its own, derived from SECRET_KEY, so nothing else is needed
                settings = replace(settings, webhook_secrets_key=derived_key(settings.secret_key, "webhook-secrets"))
        if settings.carrier_api_base and not (settings.carrier_partner_secret and settings.carrier_webhook_secret):
            reader.problems.append(("CARRIER_API_BASE", "needs CARRIER_PARTNER_SECRET and CARRIER_WEBHOOK_SECRET"))
        if settings.stripe_secret_key and not (settings.stripe_publishable_key and settings.stripe_webhook_secret):
            reader.problems.append(("STRIPE_SECRET_KEY", "needs STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET too"))
        if settings.stripe_api_base and urlsplit(settings.stripe_api_base).scheme not in ("http", "https"):
            reader.problems.append(("STRIPE_API_BASE", "must be an http(s) URL"))
        for name, url in (
            ("PUBLIC_BASE_URL", settings.public_base_url),
            ("ZNS_API_BASE", settings.zns_api_base),
            ("SMS_API_BASE", settings.sms_api_base),
        ):
            if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname):
                reader.problems.append((name, "must be an http(s) URL with a host"))
        if settings.zns_api_base and not settings.zns_access_token:
            reader.problems.append(("ZNS_API_BASE", "needs ZNS_ACCESS_TOKEN"))
        if settings.sms_api_base and not settings.sms_api_key:
            reader.problems.append(("SMS_API_BASE", "needs SMS_API_KEY"))
        least = settings.notify_send_bound_s + LEASE_MARGIN_S
        if settings.notify_lease_s < least:
            reader.problems.append(("NOTIFY_LEASE_S", f"must be at least {least:g} s: the longest send (8 x "
                                    f"NOTIFY_TIMEOUT_S + 2 x SMTP_DATA_TIMEOUT_S) and {LEASE_MARGIN_S:g} s to record "
                                    "it, so that no other sender takes a message while it is being sent"))  # fmt: skip
        if env == "production" and settings.webhook_allow_loopback:
            reader.problems.append(("WEBHOOK_ALLOW_LOOPBACK", "only for development and test, never in production"))
        if env == "production" and not settings.meili_master_key:
            reader.problems.append(("MEILI_MASTER_KEY", "required when MARKET_ENV=production"))
        if reader.problems:
            raise SettingsError(reader.problems)
        return settings


def _check_bank(settings: Settings, problems: list[tuple[str, str]]) -> None:
    """The collection account must be one a VietQR code can carry (`market.core.vietqr`), at a NAPAS bank."""
    from market.core.banks import bank

    if bank(settings.bank_bin) is None:
        problems.append(("BANK_BIN", f"must be the 6-digit BIN of a NAPAS bank (got {settings.bank_bin!r})"))
    account = settings.bank_account
    if account is not None and not (len(account) <= 19 and account.isascii() and account.isalnum()):
        problems.append(("BANK_ACCOUNT", "must be 1 to 19 letters or digits"))
    if not (settings.bank_holder.isascii() and settings.bank_holder.isprintable()):
        problems.append(("BANK_HOLDER", "must be ASCII, upper case without diacritics, as banks print it"))
    prefix = settings.bank_reference_prefix
    if not (2 <= len(prefix) <= 4 and prefix.isascii() and prefix.isalpha()):
        problems.append(("BANK_REFERENCE_PREFIX", "must be 2 to 4 letters"))
    if settings.bank_feed_api_base and urlsplit(settings.bank_feed_api_base).scheme not in ("http", "https"):
        problems.append(("BANK_FEED_API_BASE", "must be an http(s) URL"))


class _Reader:
    """Reads variables, collecting every problem instead of stopping at the first."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[tuple[str, str]] = []

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        return value.strip() if value is not None and value.strip() else None

    def _parse(self, name: str, default: T, parse: Callable[[str], T]) -> T:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            self.problems.append((name, str(exc)))
            return default

    def optional(self, name: str) -> str | None:
        return self._raw(name)

    def header_name(self, name: str) -> str | None:
        """An HTTP header name (lowercased), or None when unset."""
        raw = self._raw(name)
        if raw is not None and not _HEADER_NAME.match(raw):
            self.problems.append((name, f"must be an HTTP header name such as X-Forwarded-For (got {raw!r})"))
            return None
        return raw.lower() if raw else None

    def text(self, name: str, default: str) -> str:
        return self._raw(name) or default

    def required(self, name: str) -> str:
        raw = self._raw(name)
        if raw is None:
            self.problems.append((name, "is required and not set"))
            return ""
        return raw

    def url(self, name: str, schemes: tuple[str, ...]) -> str:
        raw = self.required(name)
        if raw and (urlsplit(raw).scheme not in schemes or not urlsplit(raw).hostname):
            self.problems.append((name, f"must be a URL with scheme {' or '.join(schemes)} and a host"))
        return raw

    def secret(self, name: str, *, production: bool) -> str:
        raw = self.required(name)
        if raw and len(raw) < 32:
            self.problems.append((name, "must be at least 32 characters (generate one: openssl rand -hex 32)"))
        elif raw and production and any(marker in raw.lower() for marker in _WEAK_SECRET_MARKERS):
            self.problems.append((name, "looks like a placeholder; generate one: openssl rand -hex 32"))
        return raw

    def aead_key(self, name: str) -> bytes | None:
        """A 256-bit key given as 64 hex digits, or None when unset (a malformed one is a problem, never shown)."""
        raw = self._raw(name)
        if raw is None:
            return None
        if not _AEAD_KEY.match(raw):
            self.problems.append((name, f"must be {_KEY_HINT}"))
            return None
        return bytes.fromhex(raw)

    def choice(self, name: str, options: tuple[str, ...], *, default: str) -> Any:
        """A value among `options`; typed `Any` so the caller's Literal field checks it."""

        def parse(raw: str) -> str:
            if raw.lower() not in options:
                raise ValueError(f"must be one of {', '.join(options)} (got {raw!r})")
            return raw.lower()

        return self._parse(name, default, parse)

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        return self._bounded(name, default, int, "a whole number", low, high)

    def number(self, name: str, default: float, *, low: float, high: float) -> float:
        return self._bounded(name, default, float, "a number", low, high)

    def _bounded(self, name: str, default: N, kind: Callable[[str], N], what: str, low: N, high: N) -> N:
        def parse(raw: str) -> N:
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"must be {what} (got {raw!r})") from None
            if not low <= value <= high:
                raise ValueError(f"must be between {low} and {high} (got {value})")
            return value

        return self._parse(name, default, parse)

    def weekday(self, name: str, default: int | None) -> int | None:
        """A day of the week, `mon`..`sun` (0..6, Monday first), or `off` (None)."""
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

        def parse(raw: str) -> int | None:
            lowered = raw.lower()[:3]
            if lowered == "off":
                return None
            if lowered not in days:
                raise ValueError(f"must be one of {', '.join(days)} or off (got {raw!r})")
            return days.index(lowered)

        return self._parse(name, default, parse)

    def boolean(self, name: str, default: bool) -> bool:
        def parse(raw: str) -> bool:
            lowered = raw.lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"must be true or false (got {raw!r})")

        return self._parse(name, default, parse)
