"""Child-process set-up shared by the embedded Redis and the worker pool."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

# Resolved in the parent: a preexec_fn runs between fork and exec, where importing or
# loading libraries can deadlock if another thread held a lock at fork time.
_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def own_group_dying_with_parent() -> None:
    """preexec_fn: leave the terminal's process group, and get SIGTERM if the parent dies.

    Ctrl-C in a terminal signals the whole foreground group. Children in their own group hear
    only the supervisor, which stops them in order (workers first, Redis last). PDEATHSIG
    covers the supervisor being SIGKILLed, so no orphan keeps a port or the AOF.
    """
    os.setpgrp()
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
