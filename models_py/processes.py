"""Child processes that die with their parent.

A child of a killed process keeps running unless told otherwise: a SIGKILL of ``couponseg
build`` would leave dbt writing, of ``couponseg report`` a headless Chromium printing. On
Linux the kernel can send the child a signal when its parent dies (``PR_SET_PDEATHSIG``); this
is the pre-exec hook that asks for it. Used by the application (its dbt child) and by the
dashboard renderer (its browser), which is why it lives in the library both sit on.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel SIGKILL the child when this process dies; None
    where ``prctl`` does not exist (not Linux)."""
    prctl = _prctl()  # looked up here: no library loading between fork and exec
    if prctl is None:
        return None
    parent = os.getpid()
    return lambda: die_with(parent, prctl)


def die_with(parent: int, prctl: Callable[..., int] | None = None) -> None:
    """Called first thing in a child: have the kernel SIGKILL this process when ``parent``
    dies (for a child started from a threaded parent, such as dbt, where a ``preexec_fn``
    is not safe); nothing where ``prctl`` does not exist."""
    prctl = prctl or _prctl()
    if prctl is None:
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os.kill(os.getpid(), signal.SIGKILL)


def _prctl() -> Callable[..., int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
