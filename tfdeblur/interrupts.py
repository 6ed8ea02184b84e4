"""Ctrl-C for a one-shot command: stop at once, leave nothing behind, exit 130.

Python turns SIGINT into a KeyboardInterrupt raised at whatever line the main thread is running. Inside
TensorFlow's Python code (an eager op's set-up, a trace) the unwinding can run its clean-up on a half-built
state: a `tfdeblur deblur` interrupted during kernel estimation was seen to die of SIGSEGV, and once to run
on to the end (the exception raised in a finaliser, where Python only prints it). A command that has nothing
to save on the way out (`deblur`: its outputs are whole files or none) can instead stop where it is:
`stop_at_once` installs a SIGINT handler that runs the registered clean-ups (`on_stop`), prints one line
and ends the process with `os._exit`, unwinding nothing. Writes that must not be cut (a file being written
and renamed into place) run in `uninterrupted()`: a Ctrl-C there waits for the end of the block.

Without `stop_at_once` (the library, tests, `cli.main` called in-process) these are no-ops and Ctrl-C is a
KeyboardInterrupt as usual.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Callable

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a program stopped by Ctrl-C

_installed = {"message": None}
_held = {"depth": 0, "pending": False}
_cleanups: list[Callable[[], None]] = []


def stop_at_once(message: str) -> bool:
    """Make SIGINT end this process at once (see the module docstring); False (and nothing changed) where
    SIGINT is not Python's KeyboardInterrupt, e.g. ignored in a job a non-interactive shell started."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    _installed["message"] = message
    signal.signal(signal.SIGINT, _on_sigint)
    return True


def on_stop(cleanup: Callable[[], None]) -> Callable[[], None]:
    """Run `cleanup` if the process is stopped by `stop_at_once`'s handler; returns the function that
    unregisters it (call it once the clean-up is no longer wanted)."""
    _cleanups.append(cleanup)

    def remove():
        if cleanup in _cleanups:
            _cleanups.remove(cleanup)

    return remove


@contextlib.contextmanager
def uninterrupted():
    """A block an immediate stop must not cut: a Ctrl-C inside it takes effect when it ends."""
    _held["depth"] += 1
    try:
        yield
    finally:
        _held["depth"] -= 1
        if _held["depth"] == 0 and _held["pending"]:
            _stop()


def _on_sigint(signum, frame):
    if _held["depth"]:
        _held["pending"] = True
        return
    _stop()


def _stop():
    for cleanup in reversed(_cleanups):
        try:
            cleanup()
        except Exception:  # noqa: BLE001 - one failed clean-up must not keep the others from running
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    with contextlib.suppress(OSError):
        os.write(2, f"\n{_installed['message']}\n".encode())
    os._exit(EXIT_INTERRUPTED)
