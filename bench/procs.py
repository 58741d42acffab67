"""Peak memory and CPU time of processes, read from /proc (Linux).

``ru_maxrss`` is not used for the process itself: Linux keeps it across ``execve``, so a
process started from a big parent reports the parent's peak. ``VmHWM`` belongs to the
address space, starts afresh at exec, and can be reset (``clear_refs``) to measure one phase.
"""

from __future__ import annotations

import os


def vm_hwm_mb(pid: int | str = "self") -> float | None:
    """Peak resident set (VmHWM) of a live process in MiB, or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def reset_peak(pid: int | str = "self") -> bool:
    """Set VmHWM back to the current RSS (Linux >= 4.0); False when not permitted."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid: int | str = "self") -> float | None:
    """User + system CPU time of a live process (``/proc/PID/stat``), or None when unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
