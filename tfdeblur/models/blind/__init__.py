"""Blind deblurring of photos: L0 kernel estimation coarse to fine, a trust check, a non-blind finish.

The default method of `tfdeblur deblur` and `tfdeblur.deblur` (`--method blind`). No network runs: the
SelfDeblur networks are `--method selfdeblur`.
"""

from tfdeblur.models.blind.method import deblur_method
from tfdeblur.models.blind.options import BlindOptions
from tfdeblur.models.blind.pipeline import run_blind

__all__ = ["BlindOptions", "deblur_method", "run_blind"]
