import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur import InputError, testing
from tfdeblur.tasks import export


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


@pytest.mark.slow  # ~23 s (a SavedModel and a TFLite conversion); odcnn's round trips use the helpers too
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


def _encoded(image: np.ndarray, kind: str) -> bytes:
    encode = {"png": tf.io.encode_png, "jpeg": tf.io.encode_jpeg}[kind]
    return encode(image).numpy()


def test_every_signature_refuses_images_over_the_pixel_limit(tmp_path):
    """A server is a hostile user's CLI: a 7 KB PNG declaring 2000x2000 pixels once cost 26 s and 2.3 GB."""
    loaded = export.load_saved_model(export.export_saved_model(make_model(), tmp_path / "sm", max_pixels=400))
    image = np.random.default_rng(0).integers(0, 256, (20, 20, 3), np.uint8)  # exactly the limit
    wide = np.concatenate([image, image], axis=1)  # 800 pixels
    encoded = loaded.signatures["deblur_encoded"]
    for kind in ("png", "jpeg"):
        out = encoded(images=tf.constant([_encoded(image, kind)]))["images"].numpy()
        assert tf.io.decode_png(out[0]).shape == (20, 20, 3)
        with pytest.raises(tf.errors.InvalidArgumentError, match="more pixels than the limit of 400 set at export"):
            encoded(images=tf.constant([_encoded(wide, kind)]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="limit of 400"):
        loaded.signatures["serving_default"](images=tf.constant(wide[None]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="limit of 400"):
        loaded.signatures["deblur_float"](images=tf.constant(wide[None] / 255, tf.float32))
    assert loaded.signatures["serving_default"](images=tf.constant(image[None]))["images"].shape == (1, 20, 20, 3)


def test_an_encoded_bomb_is_refused_by_its_header_before_decoding(tmp_path):
    loaded = export.load_saved_model(export.export_saved_model(make_model(), tmp_path / "sm", max_pixels=10**6))
    bomb = testing.png_bomb(20000, 20000)  # 400 M pixels declared in a few hundred bytes
    assert len(bomb) < 2000
    with pytest.raises(tf.errors.InvalidArgumentError, match="limit of 1,000,000") as refused:
        loaded.signatures["deblur_encoded"](images=tf.constant([bomb]))
    assert "decode" not in str(refused.value).lower().split("limit")[0]  # refused by the check, not the decoder
