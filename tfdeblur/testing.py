"""Shared test helpers for model families (in the spirit of keras-hub's `TestCase`).

- `run_layer_test`: output shape/dtype, every constructor argument in get_config (the values a test passes
  kept), get_config/from_config round trip with equal outputs, Keras
  (de)serialisation through the registered name, and one training step that changes the weights.
- `run_model_saving_test`: `.keras` save/load and the exported SavedModel give the model's outputs.
- `run_tflite_test`: the TFLite export gives the model's outputs.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfdeblur.tasks import export


def _numpy(outputs):
    if isinstance(outputs, dict):
        return {k: _numpy(v) for k, v in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return [_numpy(v) for v in outputs]
    return keras.ops.convert_to_numpy(outputs)


def _assert_close(a, b, atol):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_close(a[key], b[key], atol)
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_close(x, y, atol)
    else:
        np.testing.assert_allclose(a, b, atol=atol, rtol=0)


def constructor_arguments(cls) -> list[str]:
    """Named arguments of `cls.__init__` and of its parents up to the Keras base class (every one must be
    in get_config, whether a test passes it or not)."""
    names = []
    for klass in cls.__mro__:
        if klass.__module__.startswith("keras") or klass is object:
            break
        if "__init__" not in vars(klass):
            continue
        for parameter in inspect.signature(klass.__init__).parameters.values():
            if parameter.name != "self" and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                if parameter.name not in names:
                    names.append(parameter.name)
    return names


def run_layer_test(layer_cls, init_kwargs: dict, input_data, expected_output_shape=None,
                   expected_output_dtype="float32", run_training_check: bool = True, atol: float = 1e-6):
    """Check a layer's contract; returns the built layer.

    Args:
        layer_cls: the layer class.
        init_kwargs: small constructor arguments.
        input_data: an input batch (array, or list/dict of arrays for multi-input layers).
        expected_output_shape: tuple (or None to skip).
        expected_output_dtype: dtype name of the output.
        run_training_check: fit one step on a random target and require some weight to change.
        atol: tolerance of the round-trip output comparison.
    """
    layer = layer_cls(**init_kwargs)
    output = layer(input_data)
    first = output[0] if isinstance(output, (list, tuple)) else output
    if expected_output_shape is not None:
        assert tuple(first.shape) == tuple(expected_output_shape), (first.shape, expected_output_shape)
    assert keras.backend.standardize_dtype(first.dtype) == expected_output_dtype

    config = layer.get_config()
    missing = [name for name in constructor_arguments(layer_cls) if name not in config]
    assert not missing, f"get_config() misses constructor argument(s) {missing}"
    for key, value in init_kwargs.items():  # scalars kept as given (Keras may widen an int to a tuple)
        if isinstance(value, (bool, int, float, str)) and not isinstance(config[key], (list, tuple)):
            assert config[key] == value, f"get_config()['{key}'] is {config[key]!r}, constructed with {value!r}"
    clone = layer_cls.from_config(config)
    clone(input_data)
    clone.set_weights(layer.get_weights())
    assert clone.get_config() == config
    _assert_close(_numpy(clone(input_data)), _numpy(output), atol)

    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is layer_cls, "layer is not registered under the tfdeblur package"

    if run_training_check and layer.trainable_weights:
        before = [w.numpy().copy() for w in layer.trainable_weights]
        optimizer = keras.optimizers.SGD(0.01)
        with tf.GradientTape() as tape:
            result = layer(input_data, training=True)
            result = result[0] if isinstance(result, (list, tuple)) else result
            loss = tf.reduce_mean(tf.square(tf.cast(result, tf.float32) - 0.5))
        grads = tape.gradient(loss, layer.trainable_weights)
        assert any(g is not None for g in grads), "no gradient reaches the layer's weights"
        optimizer.apply([g if g is not None else tf.zeros_like(w) for g, w in zip(grads, layer.trainable_weights)],
                        layer.trainable_weights)
        changed = any(not np.allclose(b, w.numpy()) for b, w in zip(before, layer.trainable_weights))
        assert changed, "a training step did not change any weight"
    return layer


def run_model_saving_test(model: keras.Model, input_data, tmp_path, atol: float = 1e-5,
                          check_saved_model: bool = True):
    """`.keras` save/load and the SavedModel export (`deblur_float` signature) reproduce the outputs."""
    tmp_path = Path(tmp_path)
    expected = _numpy(model(input_data, training=False))
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path, compile=False)
    _assert_close(_numpy(restored(input_data, training=False)), expected, atol)
    if check_saved_model:
        exported = export.export_saved_model(model, tmp_path / "serving", version=1)
        loaded = export.load_saved_model(exported)
        served = loaded.signatures["deblur_float"](images=tf.constant(input_data))["images"].numpy()
        np.testing.assert_allclose(served, np.clip(expected, 0, 1), atol=atol, rtol=0)
        as_uint8 = (np.clip(np.asarray(input_data), 0, 1) * 255).round().astype(np.uint8)
        served_uint8 = loaded.signatures["serving_default"](images=tf.constant(as_uint8))["images"].numpy()
        assert served_uint8.dtype == np.uint8 and served_uint8.shape[:3] == as_uint8.shape[:3]
    return restored


def run_tflite_test(model: keras.Model, input_data, tmp_path, atol: float = 1e-4, quantization: str = "none"):
    """The TFLite export (fixed to the input's size) reproduces the model's output within `atol`."""
    input_data = np.asarray(input_data, np.float32)[:1]
    _, height, width, channels = input_data.shape
    path = export.export_tflite(model, Path(tmp_path) / "model.tflite", height, width, channels, quantization)
    expected = np.clip(_numpy(model(input_data, training=False)), 0, 1)
    np.testing.assert_allclose(export.run_tflite(path, input_data), expected, atol=atol, rtol=0)
    return path


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid PNG header declaring width x height gray pixels, followed by a few hundred bytes of
    compressed zeros: a "decompression bomb" for tests of the pixel limit (never decoded in full)."""
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    rows = zlib.compress(b"\x00" * (width + 1) * 8, 9)  # 8 rows of data: decoding would need them all
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
