"""The Litestar application: ``create_app(settings)`` does all the wiring; nothing runs at import."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

from fazhi.observability import logs, tracing
from fazhi.observability.api import MetricsController
from fazhi.observability.asgi import observe_app
from fazhi.settings import Settings, get_settings
from service.auth import tenant_guard
from service.backend import get_backend, lifespan
from service.controllers.batches import BatchController, JobTableController
from service.controllers.jobs import JobController
from service.controllers.pages import PAGE_HANDLERS
from service.controllers.meta import HealthController, IndicatorController
from service.errors import EXCEPTION_HANDLERS

API_VERSION = "1"


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="fazhi",
        version=API_VERSION,
        description=(
            "Turns Chinese governments' annual rule-of-law reports (法治政府建设年度报告) into structured, "
            "source-checked data. Submit a report, poll the job (or wait on it), fetch the result. "
            "Every error is application/problem+json with a stable `code`."
        ),
        path="/openapi",
        render_plugins=[ScalarRenderPlugin()],
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    tracing.setup(settings.otel_enabled, "api")
    app = Litestar(
        route_handlers=[JobController, IndicatorController, HealthController, BatchController, JobTableController, *PAGE_HANDLERS, MetricsController],
        logging_config=logs.litestar_config(),  # through the root logger: JSON, with the request id
        dependencies={"backend": Provide(get_backend, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
        guards=[tenant_guard],
        lifespan=[lifespan(settings)],
        openapi_config=openapi_config(),
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )
    return observe_app(app)  # request id, HTTP metrics and trace span for every request, 404s included
