"""Test harness: a throwaway PostgreSQL database, isolated Redis keys and Meilisearch indexes, the real app.

The environment is rewritten before any `market` module is imported, because Piccolo's engine reads DATABASE_URL
at import time.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

RUN_ID = uuid.uuid4().hex[:10]


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


os.environ["MARKET_ENV"] = "test"
os.environ["DATABASE_URL"] = _with_path(
    os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/market"), f"/market_test_{RUN_ID}"
)
os.environ["REDIS_URL"] = _with_path(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), f"/{os.environ.get('TEST_REDIS_DB', '15')}"
)
os.environ.setdefault("MEILI_URL", "http://127.0.0.1:7700")
os.environ["REDIS_KEY_PREFIX"] = f"test-{RUN_ID}:"
os.environ["MEILI_INDEX_PREFIX"] = f"test_{RUN_ID}_"
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
os.environ["LOG_ACCESS"] = "false"
os.environ["LOG_LEVEL"] = "warning"
# The tests assume the documented defaults of the calendar rules, whatever a developer's .env says.
os.environ["RETURN_WINDOW_DAYS"] = "3"
os.environ["COD_REMITTANCE_DUE_DAYS"] = "7"
os.environ["GUEST_CHECKOUTS_PER_ADDRESS"] = "100"  # the racing tests check out 60 guests from one address
os.environ["WEBHOOK_ALLOW_LOOPBACK"] = "true"  # seller webhooks to the local sink (tests/fakes/webhook_sink.py)

from tests.fakes.stripe import FakeStripe  # noqa: E402

# The app talks to the fake Stripe (tests/fakes/stripe.py) through the real `stripe` library. A real test-mode key in
# STRIPE_SECRET_KEY is kept aside for the one test that talks to Stripe itself.
STRIPE_TEST_MODE_KEY = os.environ.get("STRIPE_SECRET_KEY")
FAKE_STRIPE = FakeStripe()
os.environ["STRIPE_API_BASE"] = FAKE_STRIPE.start()
os.environ["STRIPE_SECRET_KEY"] = FAKE_STRIPE.api_key
os.environ["STRIPE_PUBLISHABLE_KEY"] = "pk_test_fake_0123456789"
os.environ["STRIPE_WEBHOOK_SECRET"] = "whsec_test_" + secrets.token_hex(16)
os.environ["STRIPE_TIMEOUT_S"] = "1"  # the timeout test waits for it

# Bank transfers: a collection account and the bank feed's credentials (its webhooks are posted by the tests).
os.environ["BANK_BIN"] = "970436"
os.environ["BANK_ACCOUNT"] = "0071000888888"
os.environ["BANK_HOLDER"] = "CONG TY MARKET"
os.environ["BANK_FEED_API_KEY"] = "test-bank-feed-key-" + secrets.token_hex(8)
os.environ["BANK_FEED_HMAC_SECRET"] = "test-bank-feed-hmac-" + secrets.token_hex(8)

from tests.fakes.bank import BankSim  # noqa: E402
from tests.services import free_port as _free_port  # noqa: E402

# The bank feed's transaction list is the bank simulator's (`market bank-sim`), served by the `bank_sim` fixture.
BANK_SIM = BankSim(_free_port())
os.environ["BANK_FEED_API_BASE"] = BANK_SIM.url
os.environ["BANK_FEED_API_TOKEN"] = BANK_SIM.api_token

from tests.fakes.carrier import CarrierSim, free_port  # noqa: E402

# The carrier is market's own simulator (`market carrier-sim`), served over HTTP by the `carrier_sim` fixture.
CARRIER_SIM = CarrierSim(free_port())
os.environ["CARRIER_API_BASE"] = CARRIER_SIM.url
os.environ["CARRIER_PARTNER_ID"] = CARRIER_SIM.partner_id
os.environ["CARRIER_PARTNER_SECRET"] = CARRIER_SIM.partner_secret
os.environ["CARRIER_WEBHOOK_SECRET"] = CARRIER_SIM.webhook_secret
os.environ["CARRIER_TIMEOUT_S"] = "1"

from tests.fakes.notify import NotifySims  # noqa: E402

# Email, Zalo ZNS and SMS go to market's own simulators (market.simulators), started by the `notify_sims` fixture.
NOTIFY_SIMS = NotifySims()
os.environ.update(NOTIFY_SIMS.env())

import httpx  # noqa: E402
import pytest  # noqa: E402
from litestar import Litestar  # noqa: E402

from market.app import create_app  # noqa: E402
from market.core.db import engine  # noqa: E402
from market.core.migrate import drop_database, ensure_database, migrate  # noqa: E402
from market.core.resources import Resources  # noqa: E402
from market.piccolo_app import APP_CONFIG  # noqa: E402
from market.settings import Settings  # noqa: E402
from tests.http import app_client  # noqa: E402
from tests.services import OwnMeilisearch, OwnRedis, meili_binary, redis_server_available  # noqa: E402


@pytest.fixture
def carrier_sim() -> CarrierSim:
    """The carrier simulator over real HTTP (started once, reset before each test that asks for it)."""
    from market.shipping import registry

    CARRIER_SIM.start()
    CARRIER_SIM.reset()
    for quoter in registry._quoters.values():  # a breaker opened by an earlier test (no simulator yet) closes
        quoter.failures, quoter.open_until = 0, 0.0
        quoter.local.clear()
    return CARRIER_SIM


@pytest.fixture(scope="session", autouse=True)
def stop_carrier_sim() -> Iterator[None]:
    yield
    CARRIER_SIM.stop()
    BANK_SIM.stop()


@pytest.fixture
def bank_sim() -> BankSim:
    """The bank-feed simulator over real HTTP (started once, reset before each test that asks for it)."""
    BANK_SIM.start()
    BANK_SIM.call("/_sim/reset")
    BANK_SIM.call("/_sim/config", {"webhook_url": None})
    return BANK_SIM


@pytest.fixture
def notify_sims() -> NotifySims:
    """The mail server, ZNS and SMS simulators over real sockets (started once, reset before each test)."""
    NOTIFY_SIMS.start()
    NOTIFY_SIMS.reset()
    return NOTIFY_SIMS


@pytest.fixture(scope="session", autouse=True)
def stop_notify_sims() -> Iterator[None]:
    yield
    NOTIFY_SIMS.stop()


@pytest.fixture
def stripe_fake() -> FakeStripe:
    """The fake Stripe account the app is configured with (reset before every test)."""
    return FAKE_STRIPE


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session", autouse=True)
async def database(settings: Settings) -> AsyncIterator[None]:
    """A fresh database per test session, built from the migrations (a migration that fails, fails the run)."""
    await ensure_database(settings.database_url)
    try:
        await migrate()
        yield
    finally:
        if engine().pool is not None:
            await engine().close_connection_pool()
        await drop_database(settings.database_url)


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: Litestar, database: None) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the real app; its lifespan holds the session's pool and clients."""
    async with app_client(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def resources(app: Litestar, client: httpx.AsyncClient) -> Resources:
    found: Resources = app.state.resources
    return found


@pytest.fixture(autouse=True)
async def clean_state(resources: Resources) -> None:
    """Every test starts with empty tables, no Redis keys of this run and no Meilisearch indexes of this run."""
    tables = ", ".join(table._meta.tablename for table in APP_CONFIG.table_classes)
    await engine().run_ddl(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    await _delete_redis_keys(resources)
    FAKE_STRIPE.reset()


async def _delete_redis_keys(resources: Resources) -> None:
    async for key in resources.redis.scan_iter(match=f"*{RUN_ID}*", count=500):
        await resources.redis.delete(key)


@pytest.fixture(scope="session", autouse=True)
async def drop_search_indexes(settings: Settings) -> AsyncIterator[None]:
    yield
    from market.core.resources import meili_client

    client = meili_client(settings)
    try:
        indexes = await client.get_indexes() or []
        for index in indexes:
            if index.uid.startswith(settings.meili_index_prefix):
                await client.delete_index_if_exists(index.uid)
    except Exception:  # Meilisearch may be down after a fault test; the indexes are prefixed and harmless
        pass
    finally:
        await client.aclose()


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A Redis server of the test's own, to stop and start (see tests/services.py)."""
    redis_server_available()
    server = OwnRedis()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def own_meili() -> Iterator[OwnMeilisearch]:
    """A Meilisearch server of the test's own, to stop and start."""
    server = OwnMeilisearch(meili_binary(), master_key="own-test-master-key-0123456789")
    server.start()
    yield server
    server.cleanup()
