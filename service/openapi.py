"""The committed OpenAPI document (``openapi/openapi.json``), generated from the app."""

from __future__ import annotations

import json
from pathlib import Path

from litestar.serialization import encode_json

from fazhi.settings import get_settings

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def generate() -> bytes:
    """The app's OpenAPI document as sorted, indented JSON; independent of the environment."""
    from service.app import create_app

    app = create_app(get_settings(environ={}))
    # msgspec turns Struct defaults/examples embedded in the schema into plain JSON first.
    schema = json.loads(encode_json(app.openapi_schema.to_schema()))
    return (json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
