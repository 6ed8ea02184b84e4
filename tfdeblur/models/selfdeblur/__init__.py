"""SelfDeblur (Ren et al., CVPR 2020): zero-shot blind deconvolution with two generator networks."""

from tfdeblur.models.selfdeblur.batch_norm import BatchNorm
from tfdeblur.models.selfdeblur.conv_block import ConvBlock
from tfdeblur.models.selfdeblur.image_generator import ImageGenerator
from tfdeblur.models.selfdeblur.kernel_generator import KernelGenerator
from tfdeblur.models.selfdeblur.method import deblur_method
from tfdeblur.models.selfdeblur.non_local_block import NonLocalBlock
from tfdeblur.models.selfdeblur.self_deblur import SelfDeblur

__all__ = ["BatchNorm", "ConvBlock", "ImageGenerator", "KernelGenerator", "NonLocalBlock", "SelfDeblur",
           "deblur_method"]
