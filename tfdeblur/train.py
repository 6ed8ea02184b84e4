"""Deprecated: `tfdeblur.train` moved to `tfdeblur.training.run` (issue 29); import that instead.

The old path stays importable as the very same module object (patching either patches both) and warns
when first imported; it goes in a later release.
"""

import sys
import warnings

from tfdeblur.training import run as _module

warnings.warn("tfdeblur.train is deprecated: import tfdeblur.training.run", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
