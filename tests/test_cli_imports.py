"""The command line starts fast: help and argument errors never import TensorFlow (issue 32)."""

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
