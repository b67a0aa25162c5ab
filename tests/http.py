"""An HTTP client on the real app, in the test's own event loop.

Litestar's AsyncTestClient runs the lifespan through a portal on another loop, so the connection pool it opens
would belong to that loop. Here the lifespan runs in a task of the test's loop (one task enters and leaves it, as
anyio requires) and httpx talks ASGI to the app directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar


@asynccontextmanager
async def app_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield a client that sends requests to it."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    holder = asyncio.create_task(hold_lifespan())
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({holder, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if holder.done():
        waiting.cancel()
        holder.result()  # startup failed: raise its error
    try:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
            yield client
    finally:
        stopping.set()
        await holder
