"""`tfdeblur train configs/idc_*.yaml`: synthetic or paired data -> IDC -> `model.fit` (see tfdeblur.train)."""

from __future__ import annotations

import keras

from tfdeblur import data as data_lib
from tfdeblur import fitting as train_lib
from tfdeblur.config import ExperimentConfig
from tfdeblur.errors import InputError
from tfdeblur.metrics import SSIM_WINDOW
from tfdeblur.models.idc.idc import IDC
from tfdeblur.models.idc.idc_loss import IDCLoss


def build_model(config: ExperimentConfig) -> IDC:
    m = config.model
    return IDC(channels=tuple(m.channels), texture_channels=m.texture_channels, fusion_channels=m.fusion_channels,
               kernel_size=m.kernel_size, num_res_blocks=m.num_res_blocks, num_scales=m.num_scales,
               texture=m.texture, multi_scale=m.multi_scale, image_channels=config.data.channels,
               output_initializer=m.output_initializer, name="idc")


def build_loss(config: ExperimentConfig) -> IDCLoss:
    return IDCLoss(config.loss.ssim_weight, config.loss.gradient_weight)


def check_config(config: ExperimentConfig) -> None:
    """Fail early (one line) on settings the model cannot train with."""
    m = config.model
    if len(m.channels) != 3:
        raise InputError(f"model.channels must list 3 channel counts, got {m.channels}")
    scales = m.num_scales if m.multi_scale else 1
    coarsest = config.data.patch_size // 2 ** (scales - 1)
    if coarsest < SSIM_WINDOW:
        raise InputError(f"data.patch_size {config.data.patch_size} gives {coarsest} px at the coarsest of "
                         f"{scales} scales; the SSIM loss needs >= {SSIM_WINDOW}")


def train(config: ExperimentConfig, strategy) -> keras.Model:
    check_config(config)
    _, val_data = data_lib.training_datasets(config.data)

    def train_stream(start: int):  # the training stream from example `start` (a resumed run continues it)
        return data_lib.training_datasets(config.data, start=start)[0]

    with strategy.scope():
        model = build_model(config)
        model.build((None, None, None, config.data.channels))
        model.compile(optimizer=train_lib.make_optimizer(config.trainer),
                      loss=build_loss(config),
                      jit_compile=train_lib.jit_compile_flag(config.trainer))
    train_lib.fit(model, train_stream, val_data, config)
    return model
