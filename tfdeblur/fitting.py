"""Deprecated: `tfdeblur.fitting` moved to `tfdeblur.training.fitting` (issue 29); import that instead.

The old path stays importable as the very same module object (patching either patches both) and warns
when first imported; it goes in a later release.
"""

import sys
import warnings

from tfdeblur.training import fitting as _module

warnings.warn("tfdeblur.fitting is deprecated: import tfdeblur.training.fitting", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
