"""Errors raised by ingestion and the pipeline. Each carries a stable machine-readable code.

    FazhiError (code, message, retryable)
    ├── InputError                      the client's document is at fault (4xx at submit, failed job later)
    │   ├── EmptyDocument               input.empty
    │   ├── UnsupportedType             input.unsupported_type
    │   ├── BadEncoding                 input.bad_encoding
    │   ├── EncryptedPdf                input.encrypted
    │   ├── MalformedPdf                input.malformed_pdf
    │   └── TooManyPages                input.too_many_pages
    ├── ParseLimitError                 parsing hit a limit
    │   ├── ParseTimeout                parse.timeout
    │   ├── ParseMemory                 parse.memory
    │   └── ParseCrashed                parse.crashed
    └── StageFailed                     a pipeline stage raised: extract.<stage>

Workers never raise HTTP errors; ``service`` maps codes to statuses.
"""

from __future__ import annotations


class FazhiError(Exception):
    code = "internal"
    retryable = False

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InputError(FazhiError):
    code = "input.invalid"


class EmptyDocument(InputError):
    code = "input.empty"


class UnsupportedType(InputError):
    code = "input.unsupported_type"


class BadEncoding(InputError):
    code = "input.bad_encoding"


class EncryptedPdf(InputError):
    code = "input.encrypted"


class MalformedPdf(InputError):
    code = "input.malformed_pdf"


class TooManyPages(InputError):
    code = "input.too_many_pages"


class ParseLimitError(FazhiError):
    code = "parse.failed"


class ParseTimeout(ParseLimitError):
    code = "parse.timeout"


class ParseMemory(ParseLimitError):
    code = "parse.memory"


class ParseCrashed(ParseLimitError):
    code = "parse.crashed"


class StageFailed(FazhiError):
    """A pipeline stage raised; the code names the stage so a bug report points at it."""

    def __init__(self, stage: str, cause: BaseException):
        super().__init__(f"the {stage} stage failed: {type(cause).__name__}: {cause}", code=f"extract.{stage}")
        self.stage = stage
