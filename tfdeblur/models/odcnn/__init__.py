"""ODCNN (Xu et al., NIPS 2014): a non-blind deconvolution CNN with SVD-initialised separable layers and an
outlier-rejection sub-network, robust to saturation, noise and JPEG."""

from tfdeblur.models.odcnn.channel_fold import ChannelFold
from tfdeblur.models.odcnn.metrics import psnr
from tfdeblur.models.odcnn.odcnn import ODCNN
from tfdeblur.models.odcnn.outlier_rejection import OutlierRejection
from tfdeblur.models.odcnn.separable_deconvolution import SeparableDeconvolution
from tfdeblur.models.odcnn.svd_initializer import (
    SeparableInverseInitializer,
    cropped_pseudo_inverse,
    separable_inverse_factors,
)

__all__ = [
    "ODCNN", "ChannelFold", "OutlierRejection", "SeparableDeconvolution", "SeparableInverseInitializer",
    "cropped_pseudo_inverse", "psnr", "separable_inverse_factors",
]
