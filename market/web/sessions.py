"""Buyer sessions: server-side, in Redis, through Litestar's session middleware; by cookie (web) or bearer (mobile).

One session, two ways to carry its id:
- web clients get it in the `market_session` cookie (HttpOnly, Secure, SameSite=Lax), and every unsafe request
  they send with it must pass the CSRF check (`market.web.csrf`);
- mobile clients get the very same id in the sign-in answer and send it as `Authorization: Bearer bss_...`.
A request with an `Authorization` header is never authenticated by a cookie, and is never sent one.

The data lives in a registered, namespaced Redis store (`BuyerSessionStore`, registered as `buyer_sessions` in
`create_app`): `<prefix>buyer-session:<sha256 of the id>` holds `{"account_id", "created_at"}` (the id itself is
never stored), and `<prefix>buyer-session:account:<account id>` is the set of the account's session digests, so a
password change or an account deletion can end every other session at once. Lifetimes slide: each use of a session
renews it (and its account's set) for SESSION_TTL_S, in the same Lua call that reads it.

The middleware loads the session on the way in (a Redis failure there is a clean 503). Writes happen in the
handlers, explicitly (`begin`, `end`, `end_all`), never in the middleware's send path, where a Redis failure could
only surface after the response had started; the middleware only sets or clears the cookie.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal, cast

from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.serialization import encode_json
from litestar.stores.redis import RedisStore
from litestar.types import Message, Receive, Scope, ScopeSession, Send
from redis.asyncio import Redis

from market.accounts.service import cannot_end
from market.core.errors import NotAuthenticated
from market.core.security import digest
from market.web.deps import bearer_token

SESSION_STORE = "buyer_sessions"
COOKIE_NAME = "market_session"
TOKEN_PREFIX = "bss"  # noqa: S105 - a prefix, not a secret
_TOKEN = re.compile(r"^bss_[A-Za-z0-9_-]{43}$")
_STATE = "buyer_session"
STARTS_SESSION = "starts_session"  # route opt of the routes that sign in (registration, sign-in)
Client = Literal["web", "mobile"]

# Renews the account's set too, a key named from the session's data (fine on one Redis; a Redis Cluster would need
# the prefix in a hash tag).
_LOAD = """
local data = redis.call('GET', KEYS[1])
if not data then return false end
redis.call('EXPIRE', KEYS[1], ARGV[1])
local ok, session = pcall(cjson.decode, data)
if ok and type(session) == 'table' and type(session['account_id']) == 'string' then
  redis.call('EXPIRE', ARGV[2] .. session['account_id'], ARGV[1])
end
return data
"""
_BEGIN = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[2])
if ARGV[4] ~= '' then redis.call('DEL', ARGV[5] .. ARGV[4]) end
for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[5] .. member) == 0 then redis.call('SREM', KEYS[2], member) end
end
return 1
"""
_END_ALL = """
local ended = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  redis.call('DEL', ARGV[1] .. member)
  ended = ended + 1
end
redis.call('DEL', KEYS[1])
return ended
"""


class BuyerSessionStore(RedisStore):
    """The Litestar store of buyer sessions, with the atomic operations sessions need (see the module docstring)."""

    def __init__(self, redis: Redis, namespace: str) -> None:
        super().__init__(redis, namespace=namespace, handle_client_shutdown=True)
        self._load = self._redis.register_script(_LOAD)
        self._begin = self._redis.register_script(_BEGIN)
        self._end_all = self._redis.register_script(_END_ALL)

    def _account_key(self, account_id: str) -> str:
        return self._make_key(f"account:{account_id}")

    async def load(self, session_id: str, ttl_s: int) -> bytes | None:
        """The session's data, its lifetime (and its account's set's) renewed; None when unknown or expired."""
        data = await self._load(keys=[self._make_key(digest(session_id))], args=[ttl_s, self._make_key("account:")])
        return cast("bytes | None", data)

    async def begin(self, account_id: str, ttl_s: int, replacing: str | None) -> str:
        """Start a session with a new id (ending `replacing`, the one the client came with) and return the id."""
        session_id = f"{TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"
        data = encode_json({"account_id": account_id, "created_at": round(time.time(), 3)})
        keys = [self._make_key(digest(session_id)), self._account_key(account_id)]
        old = digest(replacing) if replacing else ""
        await self._begin(keys=keys, args=[data, ttl_s, digest(session_id), old, self._make_key("")])
        return session_id

    async def end(self, session_id: str, account_id: str) -> None:
        """End one session."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._make_key(digest(session_id)))
            pipe.srem(self._account_key(account_id), digest(session_id))
            await pipe.execute()

    async def end_all(self, account_id: str) -> int:
        """End every session of the account; returns how many there were."""
        ended = await self._end_all(keys=[self._account_key(account_id)], args=[self._make_key("")])
        return int(ended)


@dataclass
class Exchange:
    """What the middleware learnt about this request's session, and what the handler decided to hand back."""

    bearer: bool
    cookie: bool
    loaded: str | None = None
    issued: str | None = None
    ended: bool = False


def credentials(scope: Scope) -> tuple[bytes | None, bytes | None]:
    """The raw `Authorization` and `Cookie` headers, found without parsing every header (this runs on every buyer
    request, the cart's hot path included)."""
    authorization = cookie = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value
        elif name == b"cookie":
            cookie = value
    return authorization, cookie


def exchange_of(scope_state: dict[str, Any]) -> Exchange:
    found = scope_state.get(_STATE)
    if not isinstance(found, Exchange):
        raise NotAuthenticated("Sign in first.")
    return found


class BuyerSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side backend, reading the id from the bearer header or the cookie (see the module)."""

    config: BuyerSessionConfig

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        authorization, cookie = credentials(connection.scope)
        if authorization is not None:
            token = bearer_token(authorization.decode("latin-1"))
        else:
            token = connection.cookies.get(self.config.key) if cookie is not None else None
        exchange = Exchange(bearer=authorization is not None, cookie=authorization is None and token is not None)
        connection.scope.setdefault("state", {})[_STATE] = exchange
        if token and _TOKEN.match(token):
            data = await session_store(connection.app).load(token, self.config.max_age)
            if data is not None:
                exchange.loaded = token
                return self.deserialize_data(data)
        return {}

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        exchange = connection.scope.get("state", {}).get(_STATE)
        return (exchange.issued or exchange.loaded or "") if isinstance(exchange, Exchange) else ""

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        exchange = connection.scope.get("state", {}).get(_STATE)
        if not isinstance(exchange, Exchange) or exchange.bearer:
            return
        if exchange.issued or (exchange.loaded and not exchange.ended):
            value, max_age = (exchange.issued or exchange.loaded or ""), self.config.max_age
        elif exchange.ended or exchange.cookie:
            value, max_age = "", 0
        else:
            return
        cookie = Cookie(key=self.config.key, value=value, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite="lax")  # fmt: skip
        MutableScopeHeaders.from_message(message).add("Set-Cookie", cookie.to_header(header=""))


class BuyerSessionMiddleware(SessionMiddleware[BuyerSessionBackend]):
    """Litestar's session middleware, which a request with no session that cannot start one (a guest adding to a
    cart: the storefront's hottest write) passes straight through."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if credentials(scope) == (None, None) and not scope["route_handler"].opt.get(STARTS_SESSION):
            scope["session"] = {}
            scope.setdefault("state", {})[_STATE] = Exchange(bearer=False, cookie=False)
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


@dataclass
class BuyerSessionConfig(ServerSideSessionConfig):
    """Session middleware settings for the buyer routes (cookie flags are fixed: HttpOnly, Secure, Lax)."""

    _backend_class = BuyerSessionBackend

    @property
    def middleware(self) -> DefineMiddleware:
        return DefineMiddleware(BuyerSessionMiddleware, backend=self._backend_class(config=self))


def session_config(ttl_s: int) -> BuyerSessionConfig:
    """The middleware configuration; its store must be registered as `buyer_sessions` (see `create_app`)."""
    return BuyerSessionConfig(
        key=COOKIE_NAME, max_age=ttl_s, secure=True, httponly=True, samesite="lax", store=SESSION_STORE
    )


def session_store(app: Litestar) -> BuyerSessionStore:
    """The registered store; refuses to run on anything else (an unregistered name would be process memory)."""
    store = app.stores.get(SESSION_STORE)
    if not isinstance(store, BuyerSessionStore):
        raise RuntimeError(f"the {SESSION_STORE!r} store must be a registered BuyerSessionStore")
    return store


@dataclass(frozen=True)
class Buyer:
    """A signed-in buyer: the account and the session the request came with."""

    account_id: str
    session_id: str


def current_buyer(request: Request[Any, Any, Any]) -> Buyer | None:
    """The signed-in buyer of this request, or None."""
    exchange = request.scope.get("state", {}).get(_STATE)
    session = request.scope.get("session")
    if not isinstance(exchange, Exchange) or exchange.loaded is None or not isinstance(session, dict):
        return None
    account_id = session.get("account_id")
    return Buyer(account_id, exchange.loaded) if isinstance(account_id, str) else None


async def provide_buyer(request: Request[Any, Any, Any]) -> Buyer:
    """Dependency of the routes that need a signed-in buyer (401 otherwise)."""
    buyer = current_buyer(request)
    if buyer is None:
        raise NotAuthenticated("Sign in first (session cookie or `Authorization: Bearer bss_...`).")
    return buyer


async def begin(request: Request[Any, Any, Any], account_id: str, ttl_s: int, client: Client) -> str | None:
    """Start a session with a new id for this account, ending the one the request came with (sign-in, password
    change). Returns the bearer token to hand back, or None when the cookie carries it: a web client that did not
    come with a bearer token gets the cookie, everyone else the token."""
    exchange = exchange_of(request.scope.setdefault("state", {}))
    session_id = await session_store(request.app).begin(account_id, ttl_s, exchange.loaded)
    request.scope["session"] = {"account_id": account_id}
    exchange.loaded = None
    if client == "web" and not exchange.bearer:
        exchange.issued = session_id
        return None
    exchange.ended = exchange.cookie
    return session_id


async def end(request: Request[Any, Any, Any], buyer: Buyer | None) -> None:
    """End the request's session (sign-out); the cookie is cleared. A bearer token that is no live buyer session
    has nothing to end and says so (an API key: 409 `api_key_not_a_session`; anything else: 401); a browser
    without a live session gets its cookie cleared all the same."""
    exchange = exchange_of(request.scope.setdefault("state", {}))
    if buyer is None and exchange.bearer:
        raise cannot_end(bearer_token(request.headers.get("authorization")))
    if buyer is not None:
        await session_store(request.app).end(buyer.session_id, buyer.account_id)
    exchange.loaded, exchange.ended = None, True
    request.scope["session"] = {}


async def end_all(request: Request[Any, Any, Any], account_id: str) -> int:
    """End every session of the account, this request's included (password change, account deletion)."""
    exchange = exchange_of(request.scope.setdefault("state", {}))
    ended = await session_store(request.app).end_all(account_id)
    exchange.loaded, exchange.ended = None, True
    request.scope["session"] = {}
    return ended
