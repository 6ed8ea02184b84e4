"""Batch deblurring on Apache Beam (`tfdeblur batch`; needs the `beam` extra: pip install tfdeblur[beam]).

`model_handler` (the RunInference `ModelHandler`), `pipeline` (read -> deblur -> write, dead letters) and
`options` import Apache Beam; this module and `paths` do not, and the rest of tfdeblur never does.
"""

from __future__ import annotations

import logging
import os

from tfdeblur.errors import InputError


def import_beam():
    """Import Apache Beam, or raise a one-line InputError saying how to install it.

    Beam logs notes about optional cloud clients through the root logger when imported; unless
    TFDEBLUR_DEBUG is set they are kept out of the command's output (errors still show).
    """
    if not os.environ.get("TFDEBLUR_DEBUG"):
        logging.getLogger().setLevel(logging.ERROR)
    try:
        import apache_beam
    except ImportError:
        raise InputError("the batch command needs Apache Beam: pip install 'tfdeblur[beam]'") from None
    return apache_beam
