"""`python -m tfdeblur.cli ...`, as the `tfdeblur` console script (tools use it to run the checkout's code)."""

import sys

from tfdeblur.cli import main

sys.exit(main())
