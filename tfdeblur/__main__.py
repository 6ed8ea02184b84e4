"""`python -m tfdeblur ...`: the `tfdeblur` command line."""

from tfdeblur.cli.run import entry

entry()
