"""The `tfdeblur` entry point: parse, run the subcommand, turn errors into one line and an exit code.

Every error a user can cause is reported as one line, `tfdeblur: error: ...`, with exit code 2 and no
output file left behind; anything else is an internal error (exit 1; TFDEBLUR_DEBUG=1 shows the traceback).
TensorFlow is imported only by the commands that need it, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

from tfdeblur import interrupts
from tfdeblur.cli import parser as cli_parser
from tfdeblur.cli.commands import COMMANDS
from tfdeblur.cli.parser import EXIT_USAGE
from tfdeblur.errors import DISK_FULL_ERRNOS, InputError

EXIT_INTERNAL = 1
PROGRAM = "tfdeblur"
INTERRUPTED = f"{PROGRAM}: interrupted"
# Commands whose outputs are all written and closed when they return, with no thread, temporary folder or
# buffered writer left for Python's shutdown: the console script ends them with `os._exit`, skipping the
# teardown of TensorFlow's modules, about 0.9 s a call on 2 cores (issue 32: one photo per process).
FAST_EXIT_COMMANDS = frozenset({"deblur"})
# OSErrors that describe the user's machine, not a bug: reported as one-line errors (exit 2).
ENVIRONMENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENAMETOOLONG, *DISK_FULL_ERRNOS}


def _quiet_tensorflow() -> None:
    """Import TensorFlow with its C++ start-up chatter (CUDA probing, oneDNN notes) silenced.

    That output is written straight to file descriptor 2 before any Python logging is set up, so the
    descriptor itself is pointed at /dev/null for the duration of the import.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("TFDEBLUR_DEBUG") or "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe logs on first device query
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def build_parser() -> argparse.ArgumentParser:
    """The `tfdeblur` parser (`cli.parser`), each subcommand bound to its function in `cli.commands`."""
    return cli_parser.build_parser(COMMANDS)


def _memory_hint(args) -> str:
    """What to try after running out of memory: --tile only for methods that take it."""
    from tfdeblur.cli.checks import OPTION_METHODS

    if getattr(args, "method", None) in OPTION_METHODS["tile"]:
        return "try a smaller --tile, e.g. --tile 256"
    return "try a smaller image (crop or downscale it)"


def entry() -> None:
    """The console script `tfdeblur` and `python -m tfdeblur.cli`: `main`, then the process's exit.

    The commands of FAST_EXIT_COMMANDS also stop at once on Ctrl-C or SIGTERM (`tfdeblur.interrupts`): one
    line, exit 130 or 143, no output or folder of theirs left behind, and no unwinding through TensorFlow.
    """
    code, command = _run(sys.argv[1:], stop_at_once=True)
    if _exits_at_once(command):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe (`| head`): Python's own exit ignores it too
                pass
        os._exit(code)
    sys.exit(code)


def _exits_at_once(command: str | None) -> bool:
    """Whether the console script ends `command` with `os._exit` and stops it at once on Ctrl-C or SIGTERM
    (TFDEBLUR_DEBUG=1 keeps Python's normal exit and KeyboardInterrupt, for tracebacks)."""
    return command in FAST_EXIT_COMMANDS and not os.environ.get("TFDEBLUR_DEBUG")


def main(argv=None) -> int:
    """Run one `tfdeblur` command (`argv` without the program name; default `sys.argv[1:]`) and return its
    exit code. Tests and scripts call this in-process."""
    return _run(argv)[0]


def _run(argv, stop_at_once: bool = False) -> tuple[int, str | None]:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    command = getattr(args, "command", None)
    if stop_at_once and _exits_at_once(command):
        interrupts.stop_at_once(PROGRAM)
    return _run_command(parser, args, unknown), command


def _run_command(parser, args, unknown) -> int:
    if unknown and not hasattr(args, "pipeline_args"):  # only `batch` passes options on (to Beam)
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if unknown:
        args.pipeline_args = unknown
    try:
        _quiet_tensorflow()
        return args.func(args)
    except InputError as err:
        print(f"tfdeblur: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return interrupts.EXIT_INTERRUPTED
    except OSError as err:
        if err.errno not in ENVIRONMENT_ERRNOS:
            return _internal_error(err)
        where = f"{err.filename}: " if err.filename else ""
        print(f"tfdeblur: error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print(f"tfdeblur: error: out of memory ({_memory_hint(args)})", file=sys.stderr)
        return EXIT_USAGE
    except Exception as err:  # a bug, not bad input: keep it to one line unless debugging
        if type(err).__name__ == "ResourceExhaustedError":  # TensorFlow's out of memory
            print(f"tfdeblur: error: out of memory ({_memory_hint(args)})", file=sys.stderr)
            return EXIT_USAGE
        return _internal_error(err)


def _internal_error(err: Exception) -> int:
    """A bug, not bad input: one line unless debugging (TFDEBLUR_DEBUG=1 re-raises for the traceback)."""
    if os.environ.get("TFDEBLUR_DEBUG"):
        raise err
    message = str(err).strip().splitlines()[0] if str(err).strip() else ""
    print(f"tfdeblur: internal error: {type(err).__name__}: {message} "
          "(set TFDEBLUR_DEBUG=1 for a traceback)", file=sys.stderr)
    return EXIT_INTERNAL

