"""`tfdeblur train configs/idc_*.yaml`: synthetic or paired data -> IDC -> `model.fit` (see tfdeblur.training.run)."""

from __future__ import annotations

from pathlib import Path

import keras

from tfdeblur import data as data_lib
from tfdeblur.config import ExperimentConfig
from tfdeblur.errors import InputError
from tfdeblur.metrics import SSIM_WINDOW
from tfdeblur.models.idc.idc import IDC
from tfdeblur.models.idc.idc_loss import IDCLoss
from tfdeblur.models.idc.widening import widen_into
from tfdeblur.training import fitting as train_lib
from tfdeblur.training import resume


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
        if config.model.init_from and not resume.continues(config):
            try:
                widen_into(load_trained(config.model.init_from), model)
            except ValueError as error:
                raise InputError(f"model.init_from={config.model.init_from}: {error}") from None
        model.compile(optimizer=train_lib.make_optimizer(config.trainer),
                      loss=build_loss(config),
                      jit_compile=train_lib.jit_compile_flag(config.trainer))
    train_lib.fit(model, train_stream, val_data, config)
    return model


def load_trained(source: str) -> IDC:
    """A trained IDC from a preset name, a .keras file or a resumable run's state folder."""
    from tfdeblur import presets
    from tfdeblur.training.resume import STATE_FILE

    if (Path(source) / STATE_FILE).is_file():
        return model_from_resume(source)
    return presets.load_preset(source, "idc", expected=IDC, hint="model.init_from must be a trained IDC")


def model_from_resume(resume_dir) -> IDC:
    """The IDC of a resumable run's state folder at its latest saved step: built from the config the run
    started with, the weights loaded, the optimizer's state left out (a preset can be cut from a run that
    is still going)."""
    from tfdeblur import config as config_lib
    from tfdeblur.training.resume import WEIGHTS_FILE, read_state

    state = read_state(resume_dir)
    weights = Path(resume_dir) / WEIGHTS_FILE
    if state is None or not weights.is_file():
        raise InputError(f"{resume_dir} holds no resume state (state.json and {WEIGHTS_FILE})")
    config = config_lib.from_dict(state.config)
    if config.family != "idc":
        raise InputError(f"{resume_dir} is a {config.family} run, not an idc one")
    model = build_model(config)
    model.build((None, None, None, config.data.channels))
    model.load_weights(weights)
    return model
