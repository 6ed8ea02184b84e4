"""IDC: Iterative Dual CNNs for image deblurring (seed paper 000).

Layers (`ResBlock`, `EBlock`, `DBlock`, `SubDeblur`, `SubTexture`, `FusionBlock`), the `IDC` model, its
`IDCLoss`, and `presets` (architecture configs and the trained preset loader). Training:
`tfdeblur train configs/idc_small.yaml` (see `tfdeblur.models.idc.training`).
"""

from tfdeblur.models.idc.d_block import DBlock
from tfdeblur.models.idc.e_block import EBlock
from tfdeblur.models.idc.fusion_block import FusionBlock
from tfdeblur.models.idc.idc import IDC
from tfdeblur.models.idc.idc_loss import IDCLoss
from tfdeblur.models.idc.res_block import ResBlock
from tfdeblur.models.idc.sub_deblur import SubDeblur
from tfdeblur.models.idc.sub_texture import SubTexture

__all__ = ["DBlock", "EBlock", "FusionBlock", "IDC", "IDCLoss", "ResBlock", "SubDeblur", "SubTexture"]
