"""`tfdeblur app`: a local web page for deblurring photos (extra `[app]`: Gradio).

`jobs` holds the work in plain Python (inspect a photo, run one job as `tfdeblur deblur` would, stop it);
`page` builds the Gradio page around it and serves it. Only `page` imports Gradio, and only when the
command runs, so the rest of tfdeblur never needs it.
"""

from __future__ import annotations

import os

from tfdeblur.errors import InputError


def import_gradio():
    """Import Gradio with its usage analytics off, or raise a one-line InputError saying what to install."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    try:
        import gradio
    except ImportError:
        raise InputError("the app command needs Gradio: install tfdeblur[app] "
                         "(pip install 'tfdeblur[app]')") from None
    return gradio
