"""`python -m tfdeblur.cli ...`, as the `tfdeblur` console script (tools use it to run the checkout's code)."""

from tfdeblur.cli.run import entry

entry()
