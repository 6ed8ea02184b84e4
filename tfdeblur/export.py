"""Deprecated: `tfdeblur.export` moved to `tfdeblur.tasks.export` (issue 29); import that instead.

The old path stays importable as the very same module object (patching either patches both) and warns
when first imported; it goes in a later release.
"""

import sys
import warnings

from tfdeblur.tasks import export as _module

warnings.warn("tfdeblur.export is deprecated: import tfdeblur.tasks.export", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
