"""The `tfdeblur` command line: `parser` (every option), `arg_types` (numeric option types), `checks` (what is
refused before any work), `commands` (what each subcommand does) and `run` (`main`, the entry point).

`from tfdeblur import cli; cli.main([...])` runs a command as the console script does. Nothing here imports
TensorFlow at module level, so `tfdeblur --help` is instant.
"""

from tfdeblur.cli.run import build_parser, main

__all__ = ["build_parser", "main"]
