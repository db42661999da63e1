"""Which process owns shared work: ids stamped on runs and alerts, and whether a pid lives.

Processes sharing one database (the service and ``jobintel run``) record who is doing a
piece of work, so another process can tell work whose process died (its to take over)
from work a live process still holds.
"""

from __future__ import annotations

import os
import socket


def this_host() -> str:
    """This machine's name, as recorded next to a pid (a pid means nothing elsewhere)."""
    return socket.gethostname()


def this_owner() -> str:
    """This process's id in shared state: "host:pid"."""
    return f"{this_host()}:{os.getpid()}"


def pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists on this host, whoever's it is.

    Probes with signal 0, which checks without delivering anything. 0 and negative pids
    name process groups, not a process, and a pid beyond the system's range cannot exist:
    both are "not alive". ``PermissionError`` means the process exists but belongs to
    another user: alive. Any other failure means the process cannot be found: not alive.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except (OSError, OverflowError):  # ProcessLookupError is an OSError
        return False
    return True
