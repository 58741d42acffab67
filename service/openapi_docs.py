"""OpenAPI pieces Litestar cannot infer: the four submit body forms and problem responses."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType

from service.errors import PROBLEM_JSON
from service.schemas import Problem



def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=HTTPStatus(status).phrase,
            generate_examples=False,
        )
        for status in statuses
    }


_BINARY = Schema(type=OpenAPIType.STRING, format="binary")


@dataclass
class SubmitOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=(
                "The report: PDF, DOCX, HTML (a saved portal page) or text. Its type is decided by its bytes, "
                "not by Content-Type. "
                "Text may be UTF-8, UTF-8 with BOM, UTF-16 with BOM or GB18030/GBK."
            ),
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["text"],
                        properties={
                            "text": Schema(type=OpenAPIType.STRING, description="The report's full text"),
                            "filename": Schema(one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)]),
                            "callback_url": Schema(
                                one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)],
                                description="http(s) URL that receives a signed POST when the job ends",
                            ),
                        },
                        additional_properties=False,
                    )
                ),
                "text/plain": OpenAPIMediaType(schema=_BINARY),
                "application/pdf": OpenAPIMediaType(schema=_BINARY),
                "text/html": OpenAPIMediaType(schema=_BINARY),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": OpenAPIMediaType(schema=_BINARY),
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["file"],
                        properties={
                            "file": _BINARY,
                            "filename": Schema(type=OpenAPIType.STRING),
                            "callback_url": Schema(type=OpenAPIType.STRING),
                        },
                    )
                ),
            },
        )
