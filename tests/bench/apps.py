"""Apps the benchmark serves besides the market API itself.

B0 is the reference every scenario is compared with: a bare Litestar hello-world, served by the same server
(granian) with the same worker count in the same run.
"""

from __future__ import annotations

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"hello": "world"}


def b0_app() -> Litestar:
    """B0: a bare Litestar hello-world endpoint."""
    return Litestar(route_handlers=[hello], openapi_config=None, logging_config=None)
