"""The directory prometheus_client's multiprocess mode shares between the API and workers.

It must be set in the environment before ``prometheus_client`` is first imported, and before
child processes start (they inherit it), so this module imports nothing from prometheus_client.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(data_dir: str | os.PathLike[str]) -> Path:
    """Make sure ``PROMETHEUS_MULTIPROC_DIR`` names a usable directory; return it.

    An operator's own directory is emptied of stale ``*.db`` files (counters from a previous
    run would otherwise be added to this one's). Without one, a private directory is made under
    ``data_dir`` and removed when this process exits.
    """
    given = os.environ.get(ENV) or os.environ.get(ENV.lower())
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        base = Path(data_dir)
        base.mkdir(parents=True, exist_ok=True)
        _remove_orphans(base)
        path = Path(tempfile.mkdtemp(prefix=f"metrics-{os.getpid()}-", dir=base))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    os.environ[ENV] = str(path)
    return path


def _remove_orphans(base: Path) -> None:
    """Directories left by a process that was killed before its atexit ran."""
    for old in base.glob("metrics-*-*"):
        pid = old.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def enabled() -> bool:
    return bool(os.environ.get(ENV) or os.environ.get(ENV.lower()))
