"""Child processes that die with their parent, and Python children started ahead of their work.

A child of a killed process keeps running unless told otherwise: a SIGKILL of ``couponseg
build`` would leave dbt writing, of ``couponseg report`` a headless Chromium printing. On
Linux the kernel can send the child a signal when its parent dies (``PR_SET_PDEATHSIG``); this
is the pre-exec hook that asks for it. Used by the application (its dbt child) and by the
dashboard renderer (its browser), which is why it lives in the library both sit on.

A Python child that spends its first second importing (segment training: scikit-learn) can be
started early, while its parent is busy with something else, and handed its work later
(``start_early``, ``take_started``). This module imports nothing heavy, so starting one early
costs the parent nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
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


_started: dict[str, subprocess.Popen] = {}
_started_lock = threading.Lock()


def start_module(module: str) -> subprocess.Popen:
    """``python -m module <this pid>`` with pipes on stdin, stdout and stderr; the module is
    expected to call ``die_with`` on the pid it is given."""
    return subprocess.Popen([sys.executable, "-m", module, str(os.getpid())],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def start_early(module: str) -> None:
    """Start ``module``'s child now (``start_module``) for a later ``take_started``."""
    with _started_lock:
        if module not in _started:
            _started[module] = start_module(module)


def take_started(module: str) -> subprocess.Popen | None:
    """The child ``start_early`` started for ``module``, once, if it is still alive; None
    otherwise (one that died early, for example killed, is left for a new child to report
    what is wrong)."""
    with _started_lock:
        child = _started.pop(module, None)
    if child is not None and child.poll() is not None:
        child.communicate()
        return None
    return child


def stop_started() -> None:
    """Kill the children started early that nothing took (a build that did not train)."""
    with _started_lock:
        children = list(_started.values())
        _started.clear()
    for child in children:
        stop(child)


def stop(child: subprocess.Popen) -> None:
    """Kill a child (if it still runs) and reap it, its pipes read to the end."""
    with contextlib.suppress(OSError):
        child.kill()
    child.communicate()
