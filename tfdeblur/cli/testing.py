"""Test helpers for the command line (the tests of `tfdeblur` and of code that calls it)."""

from __future__ import annotations

from tfdeblur.cli.run import main


def run_cli(argv, capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `tfdeblur ARGV` run in-process through `cli.main`, argparse's exits
    included; `capsys` is pytest's fixture (paths in `argv` may be `Path`s)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit_info:
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err
