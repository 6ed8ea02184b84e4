"""The command line starts fast: help and argument errors never import TensorFlow, and `deblur` skips the
interpreter's teardown (issue 32)."""

import subprocess
import sys

import pytest

PROBE = """
import sys
from tfdeblur import cli
try:
    cli.main({argv!r})
except SystemExit:
    pass
heavy = sorted(name for name in ("tensorflow", "keras") if name in sys.modules)
print("heavy:", ",".join(heavy))
"""


@pytest.mark.parametrize("argv", [["--help"], ["deblur", "--help"], ["blur", "--help"], ["--version"],
                                  ["deblur", "in.png", "-o", "out.png", "--iterations", "0"]])
def test_help_and_usage_errors_import_no_tensorflow(argv):
    proc = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "heavy:", proc.stdout


@pytest.mark.parametrize("module", ["tfdeblur", "tfdeblur.cli"])
def test_python_dash_m_runs_the_command_line(module):
    proc = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "usage: tfdeblur" in proc.stdout, proc.stderr


EXIT_PROBE = """
import atexit, sys
atexit.register(lambda: print("teardown ran", file=sys.stderr))
sys.argv = ["tfdeblur", *{argv!r}]
from tfdeblur.cli.run import entry
entry()
"""


def test_deblur_exits_without_the_interpreter_teardown(tmp_path):
    # `deblur` ends with os._exit once its outputs are closed (~0.9 s of TensorFlow teardown a call): the
    # result must still be whole, the messages flushed, the exit code kept (an error's: the test below).
    import numpy as np

    from tfdeblur import io, methods, physics

    rng = np.random.default_rng(0)
    sharp = rng.random((48, 40)).astype(np.float32)
    kernel = physics.motion_kernel(7, 30)
    blurry = np.clip(physics.blur(sharp, kernel, mode="same"), 0, 1)
    io.write_image(tmp_path / "in.png", blurry)
    np.save(tmp_path / "k.npy", kernel)
    argv = ["deblur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"), "--method", "wiener",
            "--kernel", str(tmp_path / "k.npy")]
    proc = subprocess.run([sys.executable, "-c", EXIT_PROBE.format(argv=argv)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "out.png" in proc.stdout and "teardown ran" not in proc.stderr, proc.stderr
    expected = methods.run(io.read_image(tmp_path / "in.png"), method="wiener", kernel=kernel).image
    np.testing.assert_allclose(io.read_image(tmp_path / "out.png"), np.clip(expected, 0, 1), atol=1.5 / 255)


@pytest.mark.slow  # a fresh process importing TensorFlow, ~6 s: the success path above is in `make test`
def test_deblur_errors_keep_their_exit_code_without_the_teardown(tmp_path):
    missing = ["deblur", str(tmp_path / "none.png"), "-o", str(tmp_path / "out2.png")]
    proc = subprocess.run([sys.executable, "-c", EXIT_PROBE.format(argv=missing)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("tfdeblur: error:"), proc.stderr
    assert "teardown ran" not in proc.stderr and not (tmp_path / "out2.png").exists()


@pytest.mark.slow
def test_other_commands_keep_the_normal_exit(tmp_path):
    # Commands that may leave writers, threads or temporary folders for Python's shutdown exit normally.
    import numpy as np

    from tfdeblur import io

    io.write_image(tmp_path / "in.png", np.full((32, 32), 0.5, np.float32))
    argv = ["blur", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"), "--kernel", "motion:5,0"]
    proc = subprocess.run([sys.executable, "-c", EXIT_PROBE.format(argv=argv)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0 and (tmp_path / "out.png").exists(), proc.stderr
    assert "teardown ran" in proc.stderr, proc.stderr
