"""Deprecated: `tfdeblur.tiling` moved to `tfdeblur.models.tiling` (issue 29); import that instead.

The old path stays importable as the very same module object (patching either patches both) and warns
when first imported; it goes in a later release.
"""

import sys
import warnings

from tfdeblur.models import tiling as _module

warnings.warn("tfdeblur.tiling is deprecated: import tfdeblur.models.tiling", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
