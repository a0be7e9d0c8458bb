"""Child processes that end with their parent, on Linux, even when the parent is killed with -9."""

from __future__ import annotations

import ctypes
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> None:
    """In a child: ask Linux to send `sig` when the parent dies (prctl PR_SET_PDEATHSIG). The request is
    tied to the thread that forked: call it where that thread lives as long as its process."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
