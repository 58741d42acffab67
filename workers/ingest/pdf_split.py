"""Read a long PDF's pages in several processes at once.

Laying out a 300-page report takes seconds in one process while the machine's other cores idle.
``map_page_ranges`` forks helpers for all page ranges but the first; they inherit the open
document (fork copies it, nothing is parsed twice), read their pages and send the results back
pickled over a pipe, while the calling process reads the first range.

This runs inside the sandboxed parse child (``pdf_sandbox``), never in the worker: a helper is a
fork of that child, so it keeps its memory and CPU limits, and pickle only passes between two
processes that parse the same untrusted file. What crosses to the worker is still the child's
msgpack frame. Helpers die with the child (``PR_SET_PDEATHSIG``, which fork does not inherit).
"""

from __future__ import annotations

import faulthandler
import mmap
import os
import pickle
import signal
import struct
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from workers import errors
from workers.ingest.pdf_sandbox import die_with_parent, error_class, kill, reap

T = TypeVar("T")
Report = Callable[[], None]
"""Called by a range reader after each page."""
PageFn = Callable[[int, int], None]

MIN_PAGES_PER_PROCESS = 8
"""Below this a fork and a pickle cost more than the pages they take off the first process."""

_SLOT = struct.Struct("<q")
_MEMORY_EXIT = 3


def page_ranges(total: int, processes: int, min_pages: int = MIN_PAGES_PER_PROCESS) -> list[range]:
    """Contiguous, near-equal ranges covering ``range(total)``; fewer when the PDF is short."""
    count = max(1, min(processes, total // max(1, min_pages)))
    bounds = [total * k // count for k in range(count + 1)]
    return [range(bounds[k], bounds[k + 1]) for k in range(count)]


def map_page_ranges(read: Callable[[range, Report], T], ranges: Sequence[range], total: int, on_page: PageFn | None) -> list[T]:
    """``[read(r, report) for r in ranges]``, the ranges after the first read in forked helpers
    (one range: no fork).

    ``report`` forwards ``on_page(pages done in all processes, total)``; helpers call it too, so
    ``on_page`` must work from a forked process (the sandbox's writes a frame to its pipe).
    An error in any range is raised here once every helper has been stopped and reaped.
    """
    counts = mmap.mmap(-1, _SLOT.size * len(ranges))  # shared with the helpers: pages done per range

    def reporter(slot: int) -> Report:
        done = 0

        def report() -> None:
            nonlocal done
            done += 1
            _SLOT.pack_into(counts, slot * _SLOT.size, done)
            if on_page is not None:
                on_page(sum(_SLOT.unpack_from(counts, k * _SLOT.size)[0] for k in range(len(ranges))), total)

        return report

    helpers: list[tuple[int, int]] = []
    try:
        for slot, pages in enumerate(ranges[1:], start=1):
            rfd, wfd = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(rfd)
                _helper(wfd, read, pages, reporter(slot))
            os.close(wfd)
            helpers.append((pid, rfd))
        results = [read(ranges[0], reporter(0))]
        while helpers:
            pid, rfd = helpers.pop(0)
            results.append(_collect(pid, rfd))
    finally:
        for pid, rfd in helpers:  # only on an error: stop the rest
            kill(pid)
            os.close(rfd)
            reap(pid)
        counts.close()
    if on_page is not None and len(ranges) > 1:
        on_page(total, total)  # helpers' last reports can race; say once that all pages are read
    return results


def _helper(fd: int, read: Callable[[range, Report], Any], pages: range, report: Report) -> None:
    code = 0
    try:
        die_with_parent()
        faulthandler.disable()  # a crash is reported by the process that collects this one
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        outcome: tuple[str, Any] = ("ok", read(pages, report))
    except MemoryError:
        code, outcome = _MEMORY_EXIT, ("memory", None)
    except errors.FazhiError as exc:
        outcome = ("error", (exc.code, exc.message))
    except BaseException as exc:  # noqa: BLE001 - reported as a crash of the parser
        outcome = ("crash", f"{type(exc).__name__}: {exc}"[:500])
    try:
        body = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view) :]
    except MemoryError:
        code = _MEMORY_EXIT
    except BaseException:  # noqa: BLE001 - the parent sees a short read and the exit status
        code = code or 4
    finally:
        os._exit(code)


def _collect(pid: int, fd: int) -> Any:
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)  # a helper still writing gets EPIPE and exits
        status = reap(pid)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            raise errors.ParseTimeout("reading the PDF used more CPU time than the document limit")
        raise errors.ParseCrashed(f"a PDF parser process crashed (signal {signal.Signals(sig).name})")
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _MEMORY_EXIT:
        raise MemoryError("a PDF parser process ran out of memory")
    try:
        kind, value = pickle.loads(b"".join(chunks))
    except Exception as exc:  # noqa: BLE001 - a truncated frame: the helper died writing it
        raise errors.ParseCrashed("a PDF parser process ended without a result") from exc
    if kind == "ok":
        return value
    if kind == "memory":
        raise MemoryError("a PDF parser process ran out of memory")
    if kind == "error":
        code, message = value
        raise error_class(code)(message)
    raise errors.ParseCrashed(value)
