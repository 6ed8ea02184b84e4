"""Deprecated: `tfdeblur.resume` moved to `tfdeblur.training.resume` (issue 29); import that instead.

The old path stays importable as the very same module object (patching either patches both) and warns
when first imported; it goes in a later release.
"""

import sys
import warnings

from tfdeblur.training import resume as _module

warnings.warn("tfdeblur.resume is deprecated: import tfdeblur.training.resume", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
