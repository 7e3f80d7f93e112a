"""Worker processes end with their parent.

``rapport worker`` is a parent (taskiq's process manager) and the worker processes it forks. When the
parent is killed without a goodbye (SIGKILL, the OOM killer), its children would go on taking jobs with
nobody to restart or stop them - after a deployment, with the old code. On Linux each worker process
asks the kernel for SIGTERM when its parent dies; SIGTERM is the usual graceful stop (running jobs
finish, unfinished messages stay unacknowledged for the next worker). Elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int, sig: int = signal.SIGTERM) -> bool:
    """Have ``sig`` sent to this process when ``parent_pid`` (its parent) dies; True when arranged.

    A parent that died before the request was made is no longer this process's parent: then the
    signal is sent at once."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), sig)
    return True
