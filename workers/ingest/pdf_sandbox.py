"""Run PDF parsing in a forked child under memory and time limits.

PDFium is C++: a hostile file can loop, crash or allocate without bound, and no Python
``try`` can catch that. So the parse runs in a child made with ``os.fork`` (imports and data
files are already loaded in the worker, so the child starts in about a millisecond), with
``RLIMIT_AS`` set to its inherited size plus the memory cap, ``RLIMIT_CPU`` a little above the
document deadline, and ``PR_SET_PDEATHSIG`` so it never outlives the worker. The child streams
length-prefixed msgpack frames over a pipe: ``progress`` after each page, then ``ok`` with the
result or ``error`` with a code. The parent enforces a per-page and a per-document deadline,
kills the child on timeout, always reaps it (also when the worker's own job timeout fires
inside the wait), and turns every way the child can end into one error code:

    timeout (no progress for page_timeout, over the document limit, SIGXCPU) → parse.timeout
    MemoryError in the child, or killed after nearing the memory cap        → parse.memory
    any other signal or abnormal exit                                       → parse.crashed
    an input error raised by the reader (encrypted, malformed, …)            → that error
"""

from __future__ import annotations

import faulthandler
import os
import resource
import select
import signal
import struct
import time
from array import array
from collections.abc import Callable
from typing import Any

import msgspec

from workers import errors
from workers.pipeline.model import PageRaw, RawTable, RawText

PageFn = Callable[[int, int], None]
_LEN = struct.Struct("<I")
# A crash after the child's address space came this close to RLIMIT_AS (share, or KiB left)
# is put down to memory.
_NEAR_CAP = 0.6
_HEADROOM_KB = 128 * 1024


class _Frame(msgspec.Struct, tag_field="t"):
    pass


class Progress(_Frame, tag="progress"):
    done: int
    total: int


class Ok(_Frame, tag="ok"):
    value: Any
    raw_text: bool = False  # value is a WireRaw to rebuild into RawText


class Failed(_Frame, tag="error"):
    code: str
    message: str


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Progress | Ok | Failed)


class WireRaw(msgspec.Struct):
    """RawText with its arrays as bytes (msgpack has no typed arrays)."""

    text: str
    media_type: str
    pages: list[PageRaw] | None
    boxes: bytes
    char_page: bytes
    tables: list[RawTable]


def to_wire(raw: RawText) -> WireRaw:
    return WireRaw(
        text=raw.text,
        media_type=raw.media_type,
        pages=raw.pages,
        boxes=raw.boxes.tobytes() if raw.boxes is not None else b"",
        char_page=raw.char_page.tobytes() if raw.char_page is not None else b"",
        tables=raw.tables,
    )


def from_wire(w: WireRaw) -> RawText:
    boxes = array("f")
    boxes.frombytes(w.boxes)
    char_page = array("I")
    char_page.frombytes(w.char_page)
    return RawText(text=w.text, media_type=w.media_type, pages=w.pages, boxes=boxes, char_page=char_page, tables=w.tables)


def error_class(code: str) -> type[errors.FazhiError]:
    for cls in (
        errors.EncryptedPdf,
        errors.MalformedPdf,
        errors.TooManyPages,
        errors.EmptyDocument,
        errors.ParseTimeout,
        errors.ParseMemory,
        errors.ParseCrashed,
    ):
        if cls.code == code:
            return cls
    return errors.ParseCrashed


# ---------------------------------------------------------------------------------------------
# Child
# ---------------------------------------------------------------------------------------------


def _write(fd: int, frame: _Frame) -> None:
    body = _encoder.encode(frame)
    view = memoryview(_LEN.pack(len(body)) + body)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def die_with_parent() -> None:
    """Linux: SIGKILL this child if the worker dies, so a runaway parse is never orphaned."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _child(
    fd: int, target: Callable[..., Any], args: tuple, kwargs: dict, limit_kb: int, cpu_seconds: int, wants_progress: bool
) -> None:
    code = 0
    try:
        die_with_parent()
        # A crash here is reported by the parent; a Python traceback dump from the child is noise.
        faulthandler.disable()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_AS, (limit_kb * 1024, limit_kb * 1024))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # Backstop for the parent's deadline: the kernel stops a child that spins on the CPU.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        if wants_progress:
            kwargs = dict(kwargs, on_page=lambda done, total: _write(fd, Progress(done=done, total=total)))
        value = target(*args, **kwargs)
        if isinstance(value, RawText):
            _write(fd, Ok(value=to_wire(value), raw_text=True))
        else:
            _write(fd, Ok(value=value))
    except MemoryError:
        code = 3
        try:
            _write(fd, Failed(code=errors.ParseMemory.code, message="the PDF needs more memory than allowed"))
        except BaseException:  # noqa: BLE001 - the parent reads the exit code instead
            pass
    except errors.FazhiError as exc:
        _write(fd, Failed(code=exc.code, message=exc.message))
    except BaseException as exc:  # noqa: BLE001 - anything else is a crash of the parser
        code = 4
        try:
            _write(fd, Failed(code=errors.ParseCrashed.code, message=f"{type(exc).__name__}: {exc}"[:500]))
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(code)


# ---------------------------------------------------------------------------------------------
# Parent
# ---------------------------------------------------------------------------------------------


def _vm_kb(pid: int, field: bytes = b"VmPeak:") -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def reap(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return status
        except ChildProcessError:
            return 0
        except InterruptedError:
            continue


def run_isolated(
    target: Callable[..., Any],
    *args: Any,
    timeout: float,
    page_timeout: float,
    memory_mb: int,
    on_page: PageFn | None = None,
    decode: type | None = None,
    **kwargs: Any,
) -> Any:
    """Call ``target(*args, **kwargs)`` in a forked child under the limits; return its value.

    When ``on_page`` is given, the child's ``target`` gets an ``on_page`` keyword whose calls are
    forwarded to the parent's ``on_page``. ``decode`` converts the returned value (msgpack) back
    into a type; a ``RawText`` result is rebuilt automatically.
    """
    # The cap is on top of what the child inherits: a worker that is already large does not leave
    # its parses without room.
    base_kb = _vm_kb(os.getpid(), b"VmSize:")
    limit_kb = base_kb + memory_mb * 1024
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(rfd)
        _child(wfd, target, args, kwargs, limit_kb, int(timeout) + 2, on_page is not None)
    os.close(wfd)
    try:
        frame = _watch(pid, rfd, timeout=timeout, page_timeout=page_timeout, base_kb=base_kb, limit_kb=limit_kb, on_page=on_page)
    finally:
        os.close(rfd)
    if isinstance(frame, Failed):
        raise error_class(frame.code)(frame.message)
    value = frame.value
    if frame.raw_text:
        return from_wire(msgspec.convert(value, WireRaw))
    if decode is not None:
        return msgspec.convert(value, decode)
    return value


def _watch(
    pid: int, fd: int, *, timeout: float, page_timeout: float, base_kb: int, limit_kb: int, on_page: PageFn | None
) -> _Frame:
    start = time.monotonic()
    last_progress = start
    buf = bytearray()
    peak_kb = 0
    result: _Frame | None = None
    eof = False
    try:
        while not eof:
            now = time.monotonic()
            if now - start > timeout:
                raise errors.ParseTimeout(f"reading the PDF took longer than {timeout:g} s")
            if now - last_progress > page_timeout:
                raise errors.ParseTimeout(f"a page of the PDF took longer than {page_timeout:g} s")
            wait = max(0.0, min(0.2, timeout - (now - start), page_timeout - (now - last_progress)))
            ready, _, _ = select.select([fd], [], [], wait)
            peak_kb = max(peak_kb, _vm_kb(pid))
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                eof = True
                break
            buf += chunk
            while len(buf) >= _LEN.size:
                (n,) = _LEN.unpack_from(buf)
                if len(buf) < _LEN.size + n:
                    break
                frame = _decoder.decode(bytes(buf[_LEN.size : _LEN.size + n]))
                del buf[: _LEN.size + n]
                if isinstance(frame, Progress):
                    last_progress = time.monotonic()
                    if on_page is not None:
                        on_page(frame.done, frame.total)
                else:
                    result = frame
    except BaseException:
        kill(pid)
        reap(pid)
        raise
    status = reap(pid)
    if result is not None:
        return result
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            raise errors.ParseTimeout("reading the PDF used more CPU time than the document limit")
        # Under RLIMIT_AS, PDFium's failed allocations abort (SIGABRT) or trap; the OOM killer
        # sends SIGKILL. Either way the child was near its cap when last sampled.
        cap_kb = limit_kb - base_kb
        near_cap = peak_kb - base_kb >= _NEAR_CAP * cap_kb or limit_kb - peak_kb <= _HEADROOM_KB
        if near_cap or sig == signal.SIGKILL:
            raise errors.ParseMemory(f"the PDF parser was killed (signal {sig}) near its {cap_kb // 1024} MiB memory cap")
        raise errors.ParseCrashed(f"the PDF parser crashed (signal {signal.Signals(sig).name})")
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    if code == 3:
        raise errors.ParseMemory("the PDF needs more memory than allowed")
    raise errors.ParseCrashed(f"the PDF parser exited with status {code} without a result")


def read_pdf_isolated(data: bytes, *, settings, on_page: PageFn | None = None) -> RawText:
    """``read_pdf`` under ``settings``' page, document and memory limits (see module docstring)."""
    from workers.ingest.pdf import read_pdf

    return run_isolated(
        read_pdf,
        data,
        max_pages=settings.max_pages,
        processes=settings.pdf_processes,
        ocr_timeout=max(1.0, settings.page_timeout_seconds - 1.0),
        timeout=float(settings.job_timeout_seconds),
        page_timeout=float(settings.page_timeout_seconds),
        memory_mb=settings.parse_memory_mb,
        # Progress frames are what the per-page deadline watches, so ask for them always.
        on_page=on_page if on_page is not None else _ignore,
    )


def _ignore(done: int, total: int) -> None:
    pass
