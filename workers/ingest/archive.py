"""Safe reading of ZIP containers: batch archives of reports, and DOCX files.

Zip bombs and path tricks are refused before any member is inflated: member count, declared
sizes, total and compression ratio are checked against ``workers/data/ingest_archive.toml``,
and every read is capped again by counting bytes, because a header can lie. Member names are
only ever shown back (last path component), never used as paths.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath

from workers.data import load_toml
from workers.errors import InputError

ARCHIVE_REJECTED = "input.archive_rejected"
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    max_members: int
    max_total_bytes: int
    max_ratio: float
    ratio_floor_bytes: int
    max_docx_members: int
    skip_prefixes: tuple[str, ...]
    skip_names: frozenset[str]


@cache
def limits() -> Limits:
    raw = load_toml("ingest_archive.toml")
    return Limits(
        max_members=int(raw["max_members"]),
        max_total_bytes=int(raw["max_total_bytes"]),
        max_ratio=float(raw["max_ratio"]),
        ratio_floor_bytes=int(raw["ratio_floor_bytes"]),
        max_docx_members=int(raw["max_docx_members"]),
        skip_prefixes=tuple(raw["skip_prefixes"]),
        skip_names=frozenset(raw["skip_names"]),
    )


@dataclass(frozen=True)
class Member:
    name: str  # last path component, for display
    data: bytes


def open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError(f"the ZIP archive cannot be read: {exc}", code=ARCHIVE_REJECTED) from None


def _skipped(info: zipfile.ZipInfo, lim: Limits) -> bool:
    if info.is_dir():
        return True
    parts = PurePosixPath(info.filename.replace("\\", "/")).parts
    base = parts[-1] if parts else ""
    hidden = any(p.startswith(lim.skip_prefixes) for p in parts if p not in (".", ".."))
    return not base or base in lim.skip_names or hidden


def check_infos(infos: list[zipfile.ZipInfo], *, max_members: int, max_member_bytes: int, what: str = "archive") -> None:
    """Refuse an archive by its central directory alone (raises ``InputError``)."""
    lim = limits()
    if len(infos) > max_members:
        raise InputError(f"the {what} has {len(infos)} members; the limit is {max_members}", code=ARCHIVE_REJECTED)
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise InputError(f"{what} member {info.filename!r} is encrypted", code=ARCHIVE_REJECTED)
        if info.file_size > max_member_bytes:
            raise InputError(f"{what} member {info.filename!r} inflates to {info.file_size} bytes; the limit is {max_member_bytes}", code=ARCHIVE_REJECTED)
        if info.file_size > lim.ratio_floor_bytes and info.file_size > lim.max_ratio * max(info.compress_size, 1):
            raise InputError(f"{what} member {info.filename!r} is compressed more than {lim.max_ratio:g}:1 (a zip bomb?)", code=ARCHIVE_REJECTED)
        total += info.file_size
    if total > lim.max_total_bytes:
        raise InputError(f"the {what} inflates to {total} bytes; the limit is {lim.max_total_bytes}", code=ARCHIVE_REJECTED)


def read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Inflate one member, stopping at ``cap`` bytes whatever its header claims."""
    out = bytearray()
    try:
        with zf.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                if len(out) > cap:
                    raise InputError(f"member {info.filename!r} inflates beyond {cap} bytes", code=ARCHIVE_REJECTED)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"member {info.filename!r} cannot be read: {exc}", code=ARCHIVE_REJECTED) from None
    return bytes(out)


def is_docx(zf: zipfile.ZipFile) -> bool:
    names = set(zf.namelist())
    return "word/document.xml" in names and "[Content_Types].xml" in names


def display_name(info: zipfile.ZipInfo) -> str:
    """The member's last path component. Without the UTF-8 flag, Chinese Windows archivers write
    GBK names, which zipfile has decoded as CP437: undo that."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return PurePosixPath(name.replace("\\", "/")).name


def read_members(data: bytes, *, max_member_bytes: int) -> list[Member]:
    """The documents in a batch ZIP, in archive order (skipping folders and desktop litter)."""
    lim = limits()
    zf = open_zip(data)
    with zf:
        infos = [i for i in zf.infolist() if not _skipped(i, lim)]
        check_infos(infos, max_members=lim.max_members, max_member_bytes=max_member_bytes)
        members = []
        budget = lim.max_total_bytes
        for info in infos:
            body = read_capped(zf, info, min(max_member_bytes, budget))
            budget -= len(body)
            members.append(Member(name=display_name(info), data=body))
    return members
