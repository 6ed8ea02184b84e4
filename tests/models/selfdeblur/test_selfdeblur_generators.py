import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdeblur.models.selfdeblur import BatchNorm, ConvBlock, ImageGenerator, KernelGenerator, NonLocalBlock
from tfdeblur.models.selfdeblur.conv2d import Conv2D
from tfdeblur.testing import run_layer_test, run_model_saving_test

TINY = dict(down_channels=(8, 8, 8), up_channels=(8, 8, 8), skip_channels=(2, 0, 2), non_local_levels=(1, 2))


def noise(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 0.1, shape).astype("float32")


def test_batch_norm_contract():
    run_layer_test(BatchNorm, dict(epsilon=1e-5), noise((1, 6, 5, 3)), expected_output_shape=(1, 6, 5, 3))


@pytest.mark.parametrize("dtype, tolerance", [("float32", 2e-5), ("mixed_bfloat16", 2e-2)])
def test_fused_batch_norm_matches_the_keras_layer(dtype, tolerance):
    """Outputs, gradients (input, scale, offset) and moving statistics as keras.layers.BatchNormalization."""
    x = tf.constant(np.random.default_rng(1).normal(2.0, 3.0, (2, 9, 7, 4)).astype("float32"))
    target = tf.constant(np.random.default_rng(2).random((2, 9, 7, 4)).astype("float32"))
    results = []
    for cls in (keras.layers.BatchNormalization, BatchNorm):
        layer = cls(epsilon=1e-5, momentum=0.9, dtype=dtype,
                    gamma_initializer=keras.initializers.RandomUniform(0.5, 1.5, seed=3),
                    beta_initializer=keras.initializers.RandomUniform(-1, 1, seed=4))
        layer.build(x.shape)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.cast(layer(tf.cast(x, layer.compute_dtype), training=True), tf.float32)
            loss = tf.reduce_sum(tf.square(y - target) * target)
        grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
        results.append([y, *grads, layer.moving_mean, layer.moving_variance])
    for keras_value, fused_value in zip(*results):
        keras_value, fused_value = np.asarray(keras_value, np.float32), np.asarray(fused_value, np.float32)
        scale = max(1.0, float(np.abs(keras_value).max()))
        np.testing.assert_allclose(fused_value, keras_value, atol=tolerance * scale)


def test_conv2d_contract():
    run_layer_test(Conv2D, dict(filters=4, kernel_size=3), noise((1, 7, 6, 3)),
                   expected_output_shape=(1, 5, 4, 4))


@pytest.mark.parametrize("size, strides", [(3, 1), (1, 1), (3, 2)])  # stride 2: the Keras layer's path
def test_conv2d_gradients_match_the_keras_layer(size, strides):
    x = tf.constant(noise((2, 11, 9, 5), seed=4))
    results = []
    for cls in (keras.layers.Conv2D, Conv2D):
        layer = cls(6, size, strides=strides, bias_initializer="ones",
                    kernel_initializer=keras.initializers.RandomUniform(-1, 1, seed=5))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(tf.square(y) * tf.range(6, dtype=tf.float32))
        results.append([y, *tape.gradient(loss, [x, layer.kernel, layer.bias])])
    for keras_value, ours in zip(*results):
        np.testing.assert_allclose(ours, keras_value, rtol=1e-5, atol=1e-5 * float(np.abs(keras_value).max()))


def test_conv_block_contract():
    run_layer_test(ConvBlock, dict(filters=6, kernel_size=3, strides=2, seed=1), noise((1, 9, 7, 3)),
                   expected_output_shape=(1, 5, 4, 6))


def test_conv_block_rejects_even_kernels():
    with pytest.raises(ValueError, match="odd"):
        ConvBlock(4, 2)


def test_non_local_block_contract_and_identity_at_init():
    x = noise((1, 9, 9, 8))
    block = run_layer_test(NonLocalBlock, dict(channels=8, seed=3), x, expected_output_shape=(1, 9, 9, 8),
                           run_training_check=False)
    np.testing.assert_allclose(block(x), x, atol=1e-6)
    # Once the output norm has a scale, the block mixes information from every position.
    block.norm.gamma.assign(tf.ones_like(block.norm.gamma))
    assert not np.allclose(block(x), x, atol=1e-4)


def test_non_local_block_trains():
    block = NonLocalBlock(4, seed=0)
    x = noise((1, 6, 6, 4))
    block(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(block(x) - 1.0))
    grads = tape.gradient(loss, block.trainable_weights)
    # The output norm starts at zero scale: its gamma must receive a gradient, or the block stays identity.
    gamma_grad = next(g for w, g in zip(block.trainable_weights, grads) if w is block.norm.gamma)
    assert float(tf.reduce_max(tf.abs(gamma_grad))) > 0


@pytest.mark.parametrize("size", [(1, 37, 29, 8), (2, 16, 16, 8), (1, 5, 3, 8)])
def test_image_generator_shapes_and_range(size):
    net = ImageGenerator(seed=0, **TINY)
    out = net(noise(size)).numpy()
    assert out.shape == size[:3] + (1,) and out.dtype == np.float32
    assert 0.0 < out.min() and out.max() < 1.0  # sigmoid output


def test_image_generator_default_architecture():
    net = ImageGenerator(seed=0)
    net.build((1, 64, 64, 8))
    assert sum(isinstance(layer, NonLocalBlock) for layer in net.non_locals) == 3
    assert len(net.downs) == 5 and net.downs[0].filters == 128 and net.skips[0].filters == 16


def test_image_generator_serialization(tmp_path):
    net = ImageGenerator(seed=0, **TINY)
    z = noise((1, 23, 19, 8))
    expected = net(z).numpy()
    clone = ImageGenerator.from_config(net.get_config())
    clone.build(z.shape)
    clone.set_weights(net.get_weights())
    np.testing.assert_allclose(clone(z), expected, atol=1e-6)
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(net))
    assert type(revived) is ImageGenerator
    run_model_saving_test(net, z, tmp_path, check_saved_model=False)


def test_image_generator_seed_determines_weights():
    z = noise((1, 16, 16, 8))
    a, b, c = (ImageGenerator(seed=s, **TINY)(z).numpy() for s in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_image_generator_mixed_bfloat16_outputs_float32():
    net = ImageGenerator(seed=0, dtype="mixed_bfloat16", **TINY)
    out = net(noise((1, 16, 16, 8)))
    assert out.dtype == tf.float32
    assert net.downs[0].conv.compute_dtype == "bfloat16" and net.downs[0].conv.kernel.dtype == "float32"


def test_kernel_generator_is_a_normalised_kernel():
    net = run_layer_test(KernelGenerator, dict(kernel_size=(5, 7), hidden_units=16, input_dim=10, seed=0),
                         noise((2, 10)), expected_output_shape=(2, 5, 7))
    k = net(noise((2, 10))).numpy()
    assert k.min() >= 0.0
    np.testing.assert_allclose(k.sum(axis=(1, 2)), 1.0, atol=1e-5)


def test_kernel_generator_saving(tmp_path):
    net = KernelGenerator(9, seed=2)
    z = noise((1, 200))
    run_model_saving_test(net, z, tmp_path, check_saved_model=False)
