"""PDFium calls made per character or per page object, bound for bulk use.

Reading a page asks PDFium once per character (its box) and once or twice per page object (type,
matrix, bounds): thousands of ctypes calls a page, where pypdfium2's bindings spend more time
converting arguments (typed handle pointers, struct references, ``argtypes`` conversion) than
PDFium spends answering. Here the same C functions are re-bound without ``argtypes``: every
argument is already a ctypes object (``c_void_p`` handles, ``byref`` into one C array per page,
each call writing its own slot) or a small ``int`` index, so ctypes passes it as is, and the
calls are driven by ``map`` so the loop itself runs in C. The values are exactly those the
pypdfium2 bindings return: the same functions, the same float32 storage.
"""

from __future__ import annotations

import ctypes
from itertools import repeat

import pypdfium2.raw as pdfium_c


# A PDFium handle as a ready-made pointer argument: ``c_void_p.from_param(address)`` is the
# argument object (ctypes' CArgObject) ctypes would build for a ``c_void_p`` on every call; a
# call takes it as is. Passing a ``c_void_p`` instance instead makes ctypes look its type up on
# every call, and returning one (as a result type) allocates a ctypes object per handle.
_arg = ctypes.c_void_p.from_param
Handle = type(_arg(1))


def _bind(func, restype=ctypes.c_int):
    """The C function behind a pypdfium2 binding, without argument conversion (see above).

    Bound as ``PYFUNCTYPE``: the GIL is kept across the call. These calls take a microsecond or
    less, so releasing and re-taking the GIL around each one cost more than the call itself."""
    return ctypes.PYFUNCTYPE(restype)(ctypes.cast(func, ctypes.c_void_p).value)


_loose_box = _bind(pdfium_c.FPDFText_GetLooseCharBox)
_char_angle = _bind(pdfium_c.FPDFText_GetCharAngle, ctypes.c_float)
_get_object = _bind(pdfium_c.FPDFPage_GetObject, ctypes.c_void_p)
_get_type = _bind(pdfium_c.FPDFPageObj_GetType)
_get_matrix = _bind(pdfium_c.FPDFPageObj_GetMatrix)
_get_bounds = _bind(pdfium_c.FPDFPageObj_GetBounds)
_count_segments = _bind(pdfium_c.FPDFPath_CountSegments)
_byref = ctypes.byref


def handle(raw) -> Handle:
    """A pypdfium2 raw handle (a typed pointer) as a ``Handle``."""
    return _arg(ctypes.cast(raw, ctypes.c_void_p).value)


def _slots(buf, n: int, size: int, offset: int = 0):
    """``byref`` to slot k (``size`` bytes each, plus ``offset``) of ``buf``, for k < n."""
    return map(_byref, repeat(buf, n), range(offset, offset + size * n, size))


def _floats(buf) -> list[float]:
    return memoryview(buf).cast("B").cast("f").tolist()


class _Slots:
    """One C float array reused from page to page, with a ``byref`` to each of its slots made
    once: building the ``byref`` objects cost as much as a third of the calls they feed. The
    array only grows (to the largest page seen). The values are copied out (``floats``) before
    the next use, so sharing it is safe within one thread; reading runs in one thread per process.
    """

    def __init__(self, floats_per_slot: int):
        self.size = floats_per_slot
        self.buf = (ctypes.c_float * 0)()
        self.refs: list = []

    def slots(self, n: int) -> list:
        if n > len(self.refs):
            cap = max(n, 2 * len(self.refs), 256)
            self.buf = (ctypes.c_float * (self.size * cap))()
            self.refs = list(_slots(self.buf, cap, 4 * self.size))
        return self.refs[:n] if n < len(self.refs) else self.refs

    def floats(self, n: int) -> list[float]:
        """The first ``n`` slots' floats, as the calls left them."""
        return memoryview(self.buf).cast("B")[: 4 * self.size * n].cast("f").tolist()


_box_slots = _Slots(4)
_matrix_slots = _Slots(6)


def loose_boxes(textpage: Handle, indices) -> tuple[list[int], list[float]]:
    """``FPDFText_GetLooseCharBox`` for each index: the success flags and, four floats per
    index, the box as FS_RECTF stores it (left, top, right, bottom).

    A slot whose call failed holds whatever the buffer held before (not zeros): callers drop
    those characters by their flag."""
    n = len(indices)
    ok = list(map(_loose_box, repeat(textpage, n), indices, _box_slots.slots(n)))
    return ok, _box_slots.floats(n)


def char_angles(textpage: Handle, indices) -> list[float]:
    return list(map(_char_angle, repeat(textpage), indices))


def page_objects(page: Handle, count: int) -> tuple[list[Handle], list[int]]:
    """The page's top-level objects and their types."""
    objs = list(map(_arg, map(_get_object, repeat(page, count), range(count))))
    return objs, list(map(_get_type, objs))


def matrices(objs: list[Handle]) -> tuple[list[int], list[float]]:
    """``FPDFPageObj_GetMatrix`` of each object: success flags and six floats (a-f) per object."""
    n = len(objs)
    ok = list(map(_get_matrix, objs, _matrix_slots.slots(n)))
    return ok, _matrix_slots.floats(n)


def bounds(objs: list[Handle]) -> tuple[list[int], list[float]]:
    """``FPDFPageObj_GetBounds`` of each object: success flags and left, bottom, right, top."""
    n = len(objs)
    buf = (ctypes.c_float * (4 * n))()
    corners = (_slots(buf, n, 16, k) for k in (0, 4, 8, 12))
    ok = list(map(_get_bounds, objs, *corners))
    return ok, _floats(buf)


def count_segments(obj: Handle) -> int:
    return _count_segments(obj)
