"""`tfdeblur.interrupts`: a Ctrl-C or SIGTERM that stops a one-shot command where it is, in a child process."""

import signal
import subprocess
import sys
import textwrap

import pytest

CHILD = """
import os, signal, sys, time
from pathlib import Path
from tfdeblur import interrupts

work, signum = Path(sys.argv[1]), int(sys.argv[2])
assert interrupts.stop_at_once("stopped")
interrupts.on_stop(lambda: (work / "cleanup_ran").write_text("yes"))
remove = interrupts.on_stop(lambda: (work / "unregistered_ran").write_text("yes"))
remove()
with interrupts.uninterrupted():
    os.kill(os.getpid(), signum)
    time.sleep(0.2)  # the signal has arrived: the block goes on
    (work / "whole").write_text("the block ran to its end")
(work / "after").write_text("should not exist")
"""


def _run_child(tmp_path, code, ignore_sigint=False, signum=signal.SIGINT):
    def setup():
        signal.signal(signal.SIGINT, signal.SIG_IGN if ignore_sigint else signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(tmp_path), str(int(signum))],
                          capture_output=True, text=True, timeout=60, preexec_fn=setup)


@pytest.mark.parametrize("signum, line, code", [(signal.SIGINT, "stopped: interrupted", 130),
                                                (signal.SIGTERM, "stopped: terminated", 143)])
def test_a_signal_in_an_uninterrupted_block_stops_the_process_at_its_end(tmp_path, signum, line, code):
    child = _run_child(tmp_path, CHILD, signum=signum)
    assert child.returncode == code, child.stderr
    assert child.stderr.strip().splitlines() == [line]
    assert (tmp_path / "whole").exists() and (tmp_path / "cleanup_ran").exists()
    assert not (tmp_path / "after").exists() and not (tmp_path / "unregistered_ran").exists()


def test_an_ignored_sigint_stays_ignored(tmp_path):
    code = """
    import os, signal
    from tfdeblur import interrupts
    assert not interrupts.stop_at_once("stopped")
    os.kill(os.getpid(), signal.SIGINT)
    print("still running")
    """
    child = _run_child(tmp_path, code, ignore_sigint=True)
    assert child.returncode == 0 and child.stdout.strip() == "still running", child.stderr


def test_without_stop_at_once_ctrl_c_is_a_keyboard_interrupt(tmp_path):
    code = """
    import os, signal
    from tfdeblur import interrupts
    try:
        with interrupts.uninterrupted():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):
                pass
    except KeyboardInterrupt:
        print("KeyboardInterrupt")
    """
    child = _run_child(tmp_path, code)
    assert child.returncode == 0 and child.stdout.strip() == "KeyboardInterrupt", child.stderr
