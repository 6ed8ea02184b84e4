import keras
import numpy as np
import pytest

from tfdeblur import physics
from tfdeblur.models.odcnn import ODCNN
from tfdeblur.testing import run_model_saving_test, run_tflite_test

TINY = dict(rank=4, filter_size=15, width=6, first_size=4, last_size=2)


def tiny_model(**changes):
    return ODCNN(physics.disk_kernel(2), **{**TINY, **changes})


def randomise(layer, seed=0, scale=0.05):
    rng = np.random.default_rng(seed)
    layer.set_weights([scale * rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()])


def test_output_has_the_input_size_for_odd_sizes(rng):
    x = rng.random((2, 23, 31, 3)).astype(np.float32)
    assert tuple(tiny_model()(x).shape) == (2, 23, 31, 3)
    assert tuple(tiny_model(merged=True)(x).shape) == (2, 23, 31, 3)


def test_channels_share_one_network(rng):
    model = tiny_model()
    randomise(model.get_layer("outlier_rejection"))
    x = rng.random((1, 20, 20, 3)).astype(np.float32)
    gray = model.with_channels(1)
    for c in range(3):
        np.testing.assert_allclose(gray(x[..., c:c + 1]).numpy()[..., 0], model(x).numpy()[..., c], atol=1e-6)


def test_stage_two_starts_at_the_stage_one_result(rng):
    stage1 = tiny_model(outlier_rejection=False)
    randomise(stage1.get_layer("deconvolution"), scale=0.1)
    x = rng.random((2, 20, 24, 3)).astype(np.float32)
    stage2 = stage1.variant(outlier_rejection=True)
    np.testing.assert_array_equal(stage2(x).numpy(), stage1(x).numpy())
    for name in ("deconvolution", "combine"):
        for a, b in zip(stage1.get_layer(name).get_weights(), stage2.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("residual", [True, False])
def test_merging_keeps_the_output(rng, residual):
    model = tiny_model(residual=residual)
    randomise(model.get_layer("outlier_rejection"), seed=1)
    randomise(model.get_layer("combine"), seed=2, scale=0.5)
    x = rng.random((1, 21, 19, 3)).astype(np.float32)
    merged = model.merge()
    assert merged.merged and merged.get_layer("outlier_rejection").first.kernel.shape == (4, 4, 4, 6)
    np.testing.assert_allclose(merged(x).numpy(), model(x).numpy(), atol=1e-5)


def test_variant_refuses_impossible_changes():
    model = tiny_model()
    with pytest.raises(ValueError, match="drop"):
        model.variant(outlier_rejection=False)
    with pytest.raises(ValueError, match="cannot change"):
        model.variant(rank=5)
    with pytest.raises(ValueError, match="split"):
        model.merge().variant(merged=False)


def test_freezing_the_deconvolution_subnetwork():
    model = tiny_model()
    model.set_deconvolution_trainable(False)
    names = {w.path.split("/")[0] for w in model.trainable_weights}
    assert names == {"outlier_rejection"}
    model.set_deconvolution_trainable(True)
    assert {"deconvolution", "combine"} <= {w.path.split("/")[0] for w in model.trainable_weights}


def test_config_round_trip_and_registration():
    model = tiny_model(merged=True, outlier_activation="tanh")
    clone = ODCNN.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert type(revived) is ODCNN and revived.merged


@pytest.mark.parametrize("merged", [False, True])
def test_keras_and_saved_model_round_trip(tmp_path, rng, merged):
    model = tiny_model(merged=merged)
    randomise(model.get_layer("outlier_rejection"))
    x = rng.random((2, 24, 20, 3)).astype(np.float32)
    restored = run_model_saving_test(model, x, tmp_path)
    assert isinstance(restored, ODCNN) and restored.merged == merged
    np.testing.assert_array_equal(restored.kernel_array, model.kernel_array)


def test_tflite_export(tmp_path, rng):
    model = tiny_model()
    randomise(model.get_layer("outlier_rejection"))
    run_tflite_test(model, rng.random((1, 24, 28, 3)).astype(np.float32), tmp_path, atol=1e-4)
