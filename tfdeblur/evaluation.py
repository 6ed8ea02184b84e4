"""Deprecated: `tfdeblur.evaluation` moved to `tfdeblur.tasks.evaluate` (issue 29); import that instead.

The old path stays importable as the very same module object (patching either patches both) and warns
when first imported; it goes in a later release.
"""

import sys
import warnings

from tfdeblur.tasks import evaluate as _module

warnings.warn("tfdeblur.evaluation is deprecated: import tfdeblur.tasks.evaluate", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module
