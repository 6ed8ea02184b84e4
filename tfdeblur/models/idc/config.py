"""Typed config of the IDC family: the model and loss sections of `configs/idc_*.yaml`."""

from __future__ import annotations

import dataclasses

from tfdeblur.config import register_family


@dataclasses.dataclass
class IDCModelConfig:
    """Architecture of `tfdeblur.models.idc.IDC` (the image channels come from `data.channels`).

    Attributes:
        channels: U-Net level channels (paper: [32, 64, 128]).
        texture_channels: texture branch channels (paper: 64).
        fusion_channels: fusion module channels (paper: 32).
        kernel_size: convolution side (5).
        num_res_blocks: ResBlocks per block (2).
        num_scales: pyramid levels (3).
        texture: use the texture branch (false = the paper's ablation without Sub-Texture).
        multi_scale: run the pyramid (false = the single-scale ablation).
        output_initializer: initialiser of the last convolution ("zeros": start as the identity;
            "glorot_uniform": the paper's Xavier everywhere).
        init_from: a trained IDC the run starts from (a preset name, a .keras file, or a resumable run's
            state folder); when this architecture is wider, the trained one is widened so the run starts
            from exactly its function (`tfdeblur.models.idc.widening`). Empty: a fresh initialisation.
            Only a run at step 0 reads it: a resumed run continues from its own state (the source need
            not exist any more).
    """

    channels: list[int] = dataclasses.field(default_factory=lambda: [32, 64, 128])
    texture_channels: int = 64
    fusion_channels: int = 32
    kernel_size: int = 5
    num_res_blocks: int = 2
    num_scales: int = 3
    texture: bool = True
    multi_scale: bool = True
    output_initializer: str = "zeros"
    init_from: str = ""


@dataclasses.dataclass
class IDCLossConfig:
    """Weights of `IDCLoss`: L2 + ssim_weight (1 - SSIM) + gradient_weight gradient-L1, per scale."""

    ssim_weight: float = 0.1
    gradient_weight: float = 0.1


register_family("idc", IDCModelConfig, IDCLossConfig)
