"""`create_app`: the one place that wires Litestar (routes, plugins, middleware, lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Server
from litestar.plugins.prometheus import PrometheusController
from litestar.stores.redis import RedisStore
from litestar.types import ControllerRouterHandler
from redis.asyncio import Redis

from market import __version__
from market.accounts.api import AccountController, MeController, SessionController
from market.audit.api import AdminAuditController
from market.cart.api import CartController
from market.catalog.api import AdminCatalogController, SellerCatalogController, StorefrontCatalogController
from market.checkout.api import CheckoutController
from market.core.resources import Resources
from market.geo.api import GeoController
from market.health.api import HealthController
from market.ledger.api import AdminLedgerController, SellerLedgerController
from market.orders.api import (
    AdminOrderController,
    BuyerOrderController,
    GuestOrderController,
    SellerOrderController,
)
from market.payments.api import AdminPaymentController, PaymentMethodController, StripeWebhookController
from market.payments.registry import close_clients as payment_clients
from market.payouts.api import AdminPayoutController, SellerPayoutController
from market.returns.api import AdminReturnController, BuyerReturnController, SellerReturnController
from market.sellers.api import (
    AdminSellerController,
    PublicSellerController,
    SellerAccountController,
    SellerOnboardingController,
)
from market.settings import Settings
from market.shipping.api import (
    AdminShippingController,
    BuyerTrackingController,
    CarrierWebhookController,
    GuestTrackingController,
    SellerParcelController,
    ShippingQuoteController,
)
from market.shipping.registry import close_clients as carrier_clients
from market.web import openapi
from market.web.csrf import csrf_middleware
from market.web.guards import MAX_BODY_BYTES, guard_request
from market.web.observability import RequestContextMiddleware, access_lines, configure_logging
from market.web.problems import exception_handlers
from market.web.responses import ContractResponse
from market.web.sessions import SESSION_STORE, BuyerSessionStore, session_config
from search.api import SearchController

API_DESCRIPTION = (
    "Backend of a provincial agricultural marketplace. Storefront clients use `/api/v1`, sellers `/seller/v1`, "
    "operators `/admin/v1`. Errors are RFC 9457 problem+json with a stable `code`."
)


def _provide_resources(state: State) -> Resources:
    resources: Resources = state.resources
    return resources


def _store_client(settings: Settings) -> Redis:
    return Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.dependency_timeout_s,
        socket_timeout=settings.dependency_timeout_s,
    )


def _redis_store(settings: Settings, namespace: str) -> RedisStore:
    """A Litestar store in Redis (registered by name, so it never silently falls back to process memory)."""
    return RedisStore(
        _store_client(settings), namespace=f"{settings.redis_key_prefix}{namespace}", handle_client_shutdown=True
    )


def _buyer_router(settings: Settings) -> Router:
    """Buyer accounts, sessions and carts: the session middleware (store `buyer_sessions`) and the CSRF check
    apply here only, so the catalog's hot reads pay for neither and keep working when Redis is down."""
    return Router(
        path="/api/v1",
        route_handlers=[
            AccountController,
            SessionController,
            MeController,
            CartController,
            CheckoutController,
            ShippingQuoteController,
            BuyerOrderController,
            BuyerTrackingController,
            BuyerReturnController,
        ],
        middleware=[csrf_middleware(settings.secret_key), session_config(settings.session_ttl_s).middleware],
    )


def create_app(
    settings: Settings | None = None, *, extra_route_handlers: Sequence[ControllerRouterHandler] = ()
) -> Litestar:
    """Build the API.

    Args:
        settings: validated settings; read from the environment when omitted (raising `SettingsError`).
        extra_route_handlers: more handlers mounted on the same app (benchmark baselines, test probes).
    """
    settings = settings or Settings.from_env()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        resources = await Resources.open(settings)
        app.state.resources = resources
        try:
            yield
        finally:
            access_lines.flush()
            await payment_clients()
            await carrier_clients()
            await resources.close()

    route_handlers: list[ControllerRouterHandler] = [
        HealthController,
        PrometheusController,
        SellerOnboardingController,
        SellerAccountController,
        AdminSellerController,
        PublicSellerController,
        SellerCatalogController,
        AdminCatalogController,
        AdminAuditController,
        StorefrontCatalogController,
        SellerOrderController,
        AdminOrderController,
        AdminPaymentController,
        StripeWebhookController,
        GuestOrderController,
        GuestTrackingController,
        SellerParcelController,
        AdminShippingController,
        CarrierWebhookController,
        SellerReturnController,
        AdminReturnController,
        SellerLedgerController,
        AdminLedgerController,
        SearchController,
        GeoController,
        PaymentMethodController,
        SellerPayoutController,
        AdminPayoutController,
        _buyer_router(settings),
    ]
    route_handlers.extend(extra_route_handlers)
    app = Litestar(
        route_handlers=route_handlers,
        lifespan=[lifespan],
        dependencies={"resources": Provide(_provide_resources, sync_to_thread=False)},
        exception_handlers=exception_handlers,
        before_request=guard_request,
        request_max_body_size=MAX_BODY_BYTES,
        cache_control=CacheControlHeader(no_store=True),  # secrets and personal data; public reads set their own
        openapi_config=OpenAPIConfig(
            title="market API",
            version=__version__,
            description=API_DESCRIPTION,
            path="/schema",
            servers=[Server(url="/")],
            render_plugins=[ScalarRenderPlugin(path="/"), SwaggerRenderPlugin(path="/swagger")],
            use_handler_docstrings=True,
        ),
        response_class=ContractResponse,
        state=State({"settings": settings}),
        stores={
            "rate_limit": _redis_store(settings, "rate-limit"),
            SESSION_STORE: BuyerSessionStore(_store_client(settings), f"{settings.redis_key_prefix}buyer-session"),
        },
        debug=False,
        logging_config=None,
    )
    # Outermost, around Litestar's own routing, so that unmatched routes (404, 405) get a request id too.
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler, log_access=settings.log_access)
    openapi.install(app)
    return app


def create_app_from_env() -> Litestar:
    """Factory for granian (`--factory market.app:create_app_from_env`)."""
    return create_app()
