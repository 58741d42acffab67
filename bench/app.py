"""The product app plus one bare route, for the benchmark only (never mounted in the product).

``GET /bench/hello`` is the baseline for status reads: same server, same middleware stack and
app-level guard, but public (no key lookup) and no Redis.
"""

from __future__ import annotations

from litestar import Litestar, get

from fazhi.settings import get_settings
from service.app import create_app

HELLO_PATH = "/bench/hello"


@get(HELLO_PATH, opt={"public": True}, sync_to_thread=False, include_in_schema=False)
def hello() -> dict[str, str]:
    return {"hello": "world"}


def create_bench_app() -> Litestar:
    app = create_app(get_settings())
    app.register(hello)
    return app
