"""Typed configs of the odcnn family (`family: odcnn` in `configs/odcnn_*.yaml`)."""

from __future__ import annotations

import dataclasses

from tfdeblur import config as config_lib
from tfdeblur.models.odcnn.svd_initializer import DEFAULT_NSR


@dataclasses.dataclass
class ODCNNModelConfig:
    """The network (see `tfdeblur.models.odcnn.ODCNN`; defaults are the paper's sizes).

    Attributes:
        kernel: the blur kernel the network is made for (spec such as "disk:7", "motion:15,30", or a file);
            "" takes the single fixed kernel of `data.kernels`. It must match `data.kernels`.
        rank, filter_size, nsr, activation, preserve_dc: the deconvolution sub-network and its SVD
            initialisation.
        width, first_size, last_size, outlier_activation: the outlier-rejection sub-network.
        residual: the outlier-rejection sub-network predicts a correction of the deconvolved image.
        merge: merge the 1x1 combination into the first outlier-rejection filters before fine-tuning
            (stage 3), as the paper does (~`rank` times the cost of that layer).
    """

    kernel: str = ""
    rank: int = 38
    filter_size: int = 121
    nsr: float = DEFAULT_NSR
    activation: str = "prelu"
    preserve_dc: bool = True
    width: int = 512
    first_size: int = 16
    last_size: int = 8
    outlier_activation: str = "relu"
    residual: bool = True
    merge: bool = True


@dataclasses.dataclass
class StageConfig:
    """One training stage: how many epochs (of `trainer.steps_per_epoch` steps; 0 skips the stage), its
    learning rate schedule (`trainer.schedule` from `learning_rate` to `final_learning_rate`) and, if not 0,
    its own patch and batch size."""

    epochs: int = 1
    learning_rate: float = 1e-4
    final_learning_rate: float = 1e-5
    patch_size: int = 0
    batch_size: int = 0


@dataclasses.dataclass
class ODCNNLossConfig:
    """The `loss:` section: every stage minimises the L2 loss of the paper's Eq. 2 (mean squared error
    against clip(alpha x)); what changes between stages is which sub-network is optimised, set here.

    Attributes:
        stage1: the deconvolution sub-network alone, from its SVD initialisation.
        stage2: the outlier-rejection sub-network on the (frozen) deconvolution output.
        stage3: the whole network (merged first if `model.merge`), fine-tuned.
    """

    stage1: StageConfig = dataclasses.field(default_factory=lambda: StageConfig(10, 1e-4, 1e-5))
    stage2: StageConfig = dataclasses.field(default_factory=lambda: StageConfig(10, 1e-4, 1e-5))
    stage3: StageConfig = dataclasses.field(default_factory=lambda: StageConfig(5, 1e-5, 1e-6, 184, 0))


config_lib.register_family("odcnn", ODCNNModelConfig, ODCNNLossConfig)
