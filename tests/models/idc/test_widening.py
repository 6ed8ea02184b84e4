"""Widening a trained IDC (model.init_from): same function at first, every new weight trainable, clear errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import InputError
from tfdeblur.models.idc import IDC
from tfdeblur.models.idc.training import load_trained
from tfdeblur.models.idc.widening import widen_into

NARROW = dict(channels=(4, 8, 16), texture_channels=4, fusion_channels=4)
WIDE = dict(channels=(6, 12, 24), texture_channels=8, fusion_channels=6)


def built(rng, **arguments):
    model = IDC(**arguments)
    model(rng.random((1, 32, 32, 3)).astype(np.float32))
    return model


def trained_narrow(rng):
    """A narrow IDC whose output convolution is not zero, so the function is not just the identity."""
    keras.utils.set_random_seed(1)
    return built(rng, output_initializer="glorot_uniform", **NARROW)


def test_the_widened_model_computes_the_narrow_function(rng):
    narrow = trained_narrow(rng)
    x = rng.random((2, 40, 24, 3)).astype(np.float32)
    before = narrow(x).numpy()
    assert np.abs(before - x).max() > 0.1  # a real function, not the identity
    wide = widen_into(narrow, built(rng, **WIDE))
    # float rounding only: the narrow model's own change for a 1e-7 change of its input is of this size
    np.testing.assert_allclose(wide(x).numpy(), before, atol=1e-4)
    scales = zip(wide(x, return_all_scales=True), narrow(x, return_all_scales=True), strict=True)
    for a, b in scales:
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-4)


def test_every_new_weight_trains(rng):
    wide = widen_into(trained_narrow(rng), built(rng, **WIDE))
    kernel = wide.sub_deblur.e2.res_blocks[0].conv2.kernel  # (5, 5, 12, 12) from (5, 5, 8, 8)
    assert not np.any(kernel.numpy()[:, :, 8:, :8])  # new inputs do not reach old outputs yet
    x = rng.random((2, 32, 32, 3)).astype(np.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((wide(x) - np.clip(x + 0.1, 0, 1)) ** 2)
    gradients = dict(zip([v.path for v in wide.trainable_weights], tape.gradient(loss, wide.trainable_weights)))
    assert all(g is not None and np.any(g.numpy()) for g in gradients.values())
    assert np.all(np.abs(gradients[kernel.path].numpy()[:, :, 8:, :8]) > 0)  # the zero block moves first


def test_wrong_shapes_are_refused(rng):
    narrow = trained_narrow(rng)
    with pytest.raises(ValueError, match="narrower, not wider"):
        widen_into(built(rng, **WIDE), narrow)
    with pytest.raises(ValueError, match="num_res_blocks"):
        widen_into(narrow, built(rng, num_res_blocks=1, **WIDE))
    with pytest.raises(ValueError, match="texture"):
        widen_into(narrow, built(rng, texture=False, **WIDE))


def test_init_from_reads_presets_and_keras_files(rng, tmp_path):
    narrow = trained_narrow(rng)
    narrow.save_to_preset(tmp_path / "idc" / "tiny", description="tiny")
    x = rng.random((1, 24, 24, 3)).astype(np.float32)
    for source in (tmp_path / "idc" / "tiny", tmp_path / "idc" / "tiny" / "model.keras"):
        np.testing.assert_allclose(load_trained(str(source))(x).numpy(), narrow(x).numpy(), atol=1e-6)
    with pytest.raises(InputError):
        load_trained(str(tmp_path / "missing.keras"))
