"""`tfdeblur.interrupts`: a Ctrl-C that stops a one-shot command where it is, in a child process."""

import signal
import subprocess
import sys
import textwrap

from tfdeblur import interrupts

CHILD = """
import os, signal, sys, time
from pathlib import Path
from tfdeblur import interrupts

work = Path(sys.argv[1])
assert interrupts.stop_at_once("stopped: interrupted")
interrupts.on_stop(lambda: (work / "cleanup_ran").write_text("yes"))
remove = interrupts.on_stop(lambda: (work / "unregistered_ran").write_text("yes"))
remove()
with interrupts.uninterrupted():
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)  # the signal has arrived: the block goes on
    (work / "whole").write_text("the block ran to its end")
(work / "after").write_text("should not exist")
"""


def _run_child(tmp_path, code, ignore_sigint=False):
    def setup():
        signal.signal(signal.SIGINT, signal.SIG_IGN if ignore_sigint else signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(tmp_path)], capture_output=True,
                          text=True, timeout=60, preexec_fn=setup)


def test_a_ctrl_c_in_an_uninterrupted_block_stops_the_process_at_its_end(tmp_path):
    child = _run_child(tmp_path, CHILD)
    assert child.returncode == interrupts.EXIT_INTERRUPTED, child.stderr
    assert child.stderr.strip().splitlines() == ["stopped: interrupted"]
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
