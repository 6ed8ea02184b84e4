import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import InputError, export, testing


@keras.saving.register_keras_serializable(package="tfdeblur_tests")
class Brighten(keras.layers.Layer):
    """A tiny residual layer standing in for a family model in these generic tests."""

    def __init__(self, filters=4, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.hidden = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")
        self.out = keras.layers.Conv2D(3, 3, padding="same")

    def build(self, input_shape):
        self.hidden.build(input_shape)
        self.out.build(tuple(input_shape[:-1]) + (self.filters,))

    def call(self, inputs):
        return inputs + 0.1 * self.out(self.hidden(inputs))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


def make_model():
    inputs = keras.Input((None, None, 3))
    return keras.Model(inputs, Brighten()(inputs))


@pytest.fixture
def batch():
    return np.random.default_rng(0).random((2, 24, 20, 3)).astype(np.float32)


def test_saved_model_signatures(tmp_path, batch):
    model = make_model()
    path = export.export_saved_model(model, tmp_path / "serving", version=3)
    assert path == tmp_path / "serving" / "3" and (path / "saved_model.pb").is_file()
    loaded = export.load_saved_model(path)
    assert set(loaded.signatures) == {"serving_default", "deblur_encoded", "deblur_float"}
    expected = np.clip(model(batch).numpy(), 0, 1)
    as_uint8 = (batch * 255).round().astype(np.uint8)
    served = loaded.signatures["serving_default"](images=tf.constant(as_uint8))["images"].numpy()
    direct = np.clip(model(as_uint8.astype(np.float32) / 255).numpy(), 0, 1)
    assert np.abs(served.astype(int) - np.round(direct * 255).astype(int)).max() <= 1
    other_size = loaded.signatures["deblur_float"](images=tf.constant(batch[:, :17, :13]))["images"]
    assert other_size.shape == (2, 17, 13, 3)
    pngs = tf.stack([tf.io.encode_png(as_uint8[0]), tf.io.encode_png(as_uint8[1, :10, :11])])
    decoded = loaded.signatures["deblur_encoded"](images=pngs)["images"].numpy()
    assert tf.io.decode_png(decoded[1]).shape == (10, 11, 3)
    np.testing.assert_allclose(loaded.signatures["deblur_float"](images=tf.constant(batch))["images"].numpy(),
                               expected, atol=1e-6)


def test_versions_are_immutable(tmp_path):
    model = make_model()
    export.export_saved_model(model, tmp_path, version=1)
    with pytest.raises(InputError, match="immutable"):
        export.export_saved_model(model, tmp_path, version=1)
    export.export_saved_model(model, tmp_path, version=1, overwrite=True)


def test_shared_helpers_on_a_small_model(tmp_path, batch):
    testing.run_layer_test(Brighten, {"filters": 2}, batch, expected_output_shape=batch.shape)
    model = make_model()
    testing.run_model_saving_test(model, batch, tmp_path)
    testing.run_tflite_test(model, batch, tmp_path, atol=1e-5)


@pytest.mark.parametrize("quantization, atol", [("float16", 2e-3), ("dynamic", 2e-2)])
def test_quantised_tflite_stays_close(tmp_path, batch, quantization, atol):
    testing.run_tflite_test(make_model(), batch, tmp_path, atol=atol, quantization=quantization)


def test_channels_are_required_when_unknowable():
    with pytest.raises(InputError):
        export.model_channels(Brighten())
