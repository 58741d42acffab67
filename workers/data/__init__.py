"""Versioned domain data: catalogue, phrasings, units, heading patterns, gazetteer.

Files are named ``{topic}_{table}.{toml,json,tsv}``; ``SOURCE.md`` says where each came from.
Load them with :func:`load_toml` / :func:`path`; a missing file is an error, never an empty table.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """Path of a data file, raising FileNotFoundError with the name when it is missing."""
    p = DATA_DIR / name
    if not p.is_file():
        raise FileNotFoundError(f"data file {name!r} is missing from {DATA_DIR}")
    return p


@cache
def load_toml(name: str) -> dict:
    """Parse a TOML data file once per process."""
    with path(name).open("rb") as fh:
        return tomllib.load(fh)
