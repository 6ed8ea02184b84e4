"""`tfdeblur train configs/ircnet_*.yaml`: IRC-Net, Motion-Net or the blind pipeline with model.fit (L2)."""

from __future__ import annotations

import keras

from tfdeblur import presets
from tfdeblur.data import VALIDATION_SEED_OFFSET, photo_files
from tfdeblur.errors import InputError
from tfdeblur.models.ircnet.blind_ircnet import BlindIRCNet
from tfdeblur.models.ircnet.config import KINDS
from tfdeblur.models.ircnet.data import nonuniform_pairs
from tfdeblur.models.ircnet.ircnet import IRCNet
from tfdeblur.models.ircnet.motion_net import MotionNet
from tfdeblur.physics.nonuniform import MotionBank
from tfdeblur.training.fitting import fit, jit_compile_flag, make_optimizer


def _load(path: str, cls):
    model = presets.load_preset(path, "ircnet")
    if isinstance(model, BlindIRCNet):
        model = model.ircnet if cls is IRCNet else model.motion_net
    if not isinstance(model, cls):
        raise InputError(f"{path} holds a {type(model).__name__}, not a {cls.__name__}")
    return model


def build_model(m, channels: int = 1) -> keras.Model:
    """The model a config's `model` section describes (warm-started from presets where given)."""
    if m.kind not in KINDS:
        raise InputError(f"model.kind must be one of {', '.join(KINDS)}, got '{m.kind}'")

    def ircnet():
        if m.ircnet_init:
            return _load(m.ircnet_init, IRCNet)
        return IRCNet(
            stages=m.stages,
            inner=m.inner,
            max_length=m.max_length,
            length_step=m.length_step,
            angle_step=m.angle_step,
            filter_size=m.filter_size,
            rho=m.rho,
            lam=m.lam,
            knots=m.knots,
            temperature=m.temperature,
        )

    def motion_net():
        if m.motion_init:
            return _load(m.motion_init, MotionNet)
        return MotionNet(width=m.motion_width, blocks=m.motion_blocks, max_length=float(m.max_length))

    if m.kind == "ircnet":
        return ircnet()
    if m.kind == "motionnet":
        return motion_net()
    if not (m.ircnet_init and m.motion_init):
        raise InputError(
            "model.kind 'blind' fine-tunes trained nets: set model.ircnet_init and model.motion_init"
        )
    return BlindIRCNet(motion_net(), ircnet(), channels=channels)


def datasets(config, start: int = 0):
    """(train, validation) non-uniform blur pipelines for the config's model kind; the training stream
    begins at example `start` (a resumed run continues it)."""
    d, m = config.data, config.model
    files = photo_files(d.train_dir, d.manual_dir, d.tfds_data_dir)
    if d.val_dir:
        val_files = photo_files(d.val_dir, d.manual_dir, d.tfds_data_dir)
    else:
        held_out = max(1, len(files) // 10)
        files, val_files = files[:-held_out], files[-held_out:]
    bank = MotionBank(m.max_length, m.length_step, m.angle_step)
    target = {"ircnet": "image", "motionnet": "motion", "blind": "blind"}[m.kind]
    field = m.field if m.kind == "ircnet" else "smooth"
    common = dict(
        bank=bank,
        patch_size=d.patch_size,
        batch_size=d.batch_size,
        channels=d.channels,
        noise_sigma=tuple(d.noise_sigma),
        field=field,
        rotation=m.rotation,
        target=target,
        temperature=m.temperature,
        field_error=tuple(m.field_error) if m.kind == "ircnet" else (0.0, 0.0),
    )
    train = nonuniform_pairs(files, training=True, seed=d.seed, shuffle_buffer=d.shuffle_buffer, start=start,
                             **common)
    # Validation always uses smooth fields: that is what the models meet at test time.
    common.update(field="smooth")
    val = nonuniform_pairs(
        val_files, training=False, count=d.val_count, seed=d.seed + VALIDATION_SEED_OFFSET, **common
    )
    return train, val


def train(config, strategy) -> keras.Model:
    """Build data and model, fit with L2 (MSE) loss; returns the trained model.

    XLA (`trainer.jit_compile`) is used for Motion-Net alone: NU-Conv convolves only the bank entries a
    batch uses (`tf.unique`), a dynamic shape XLA cannot compile.
    """
    _, val_ds = datasets(config)

    def train_stream(start: int):  # from example `start`: a resumed run (`trainer.resume_dir`) continues
        return datasets(config, start)[0]

    with strategy.scope():
        model = build_model(config.model, config.data.channels)
        model(next(iter(val_ds))[0])  # build (restoring a resumed run needs a built model)
        jit = jit_compile_flag(config.trainer) if config.model.kind == "motionnet" else False
        model.compile(optimizer=make_optimizer(config.trainer), loss="mse", jit_compile=jit)
    fit(model, train_stream, val_ds, config, stage=config.model.kind)
    return model
