import sys

from tfdeblur.cli import main

sys.exit(main())
