"""Property-based requests generated from the committed OpenAPI document, run in-process against
the ASGI app: no 5xx, and every status, content type, header and body conforms to the spec."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.openapi import COMMITTED

schema = schemathesis.openapi.from_path(COMMITTED)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def asgi_app(redis_server, worker):
    """The app on the queue the session's real worker serves, so /readyz is 200, not 503."""
    from msgspec.structs import replace

    from fazhi.settings import get_settings
    from service.app import create_app
    from service.backend import open_backend
    from tests.conftest import WORKER_QUEUE

    app_settings = replace(get_settings(environ={}), redis_url=redis_server.url, queue_name=WORKER_QUEUE, rate_limit_per_minute=0)
    app = create_app(app_settings)
    app.state.backend = open_backend(app_settings)  # schemathesis' client does not run the lifespan
    return app


@schema.parametrize()
@hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_schemathesis_api_conforms_to_committed_spec(case, asgi_app):
    if case.query and "wait" in case.query:
        case.query = {**case.query, "wait": 0}  # nothing would ever end: do not sit out the timeout
    case.call_and_validate(checks=CHECKS, app=asgi_app)
