"""Ctrl-C (and SIGTERM) for a one-shot command: stop at once, leave nothing behind, exit 130 (143).

Python turns SIGINT into a KeyboardInterrupt raised at whatever line the main thread is running. Inside
TensorFlow's Python code (an eager op's set-up, a trace) the unwinding can run its clean-up on a half-built
state: a `tfdeblur deblur` interrupted during kernel estimation was seen to die of SIGSEGV, and once to run
on to the end (the exception raised in a finaliser, where Python only prints it). A command that has nothing
to save on the way out (`deblur`: its outputs are whole files or none) can instead stop where it is:
`stop_at_once` installs a SIGINT handler that runs the registered clean-ups (`on_stop`), prints one line
and ends the process with `os._exit`, unwinding nothing. SIGTERM (a job system's time-out, `kill`) gets the
same handler where it has its default action, which would end the process with a temporary file half
written. Writes that must not be cut (a file being written and renamed into place) run in `uninterrupted()`:
a signal there waits for the end of the block.

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
# What each signal prints after the program's name, and the exit code a shell reports for it (128 + number).
STOPS = {signal.SIGINT: ("interrupted", EXIT_INTERRUPTED), signal.SIGTERM: ("terminated", 128 + signal.SIGTERM)}

_installed = {"program": None}
_held = {"depth": 0, "pending": None}
_cleanups: list[Callable[[], None]] = []


def stop_at_once(program: str) -> bool:
    """Make SIGINT, and SIGTERM, end this process at once, printing "`program`: interrupted" (or
    "terminated"; see the module docstring). False (and nothing changed) where SIGINT is not Python's
    KeyboardInterrupt, e.g. ignored in a job a non-interactive shell started; SIGTERM is taken only where it
    has its default action."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    _installed["program"] = program
    signal.signal(signal.SIGINT, _on_signal)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_signal)
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
        if _held["depth"] == 0 and _held["pending"] is not None:
            _stop(_held["pending"])


def _on_signal(signum, frame):
    if _held["depth"]:
        _held["pending"] = signum
        return
    _stop(signum)


def _stop(signum: int):
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
    what, code = STOPS[signum]
    with contextlib.suppress(OSError):
        os.write(2, f"\n{_installed['program']}: {what}\n".encode())
    os._exit(code)
