"""The FLOP count `tools/bench_idc.py` reports: counted from the layer shapes, equal to TensorFlow's profiler."""

import pytest
import tensorflow as tf


@pytest.fixture(scope="module")
def bench(load_tool):
    return load_tool("bench_idc")


@pytest.mark.parametrize("overrides", [{}, {"texture": False}, {"multi_scale": False}])
def test_conv_flops_match_the_profiler(bench, tiny_idc, overrides):
    model = tiny_idc(**overrides)
    function = tf.function(lambda x: model(x, training=False), autograph=False)
    profiled = bench._profiler_flops(function, tf.TensorSpec([1, 37, 50, 3], tf.float32))
    counted = bench.conv_flops(model, 37, 50)
    # The profiler also counts bias adds, skip additions, pooling and resizing (a few percent at 4-8 channels).
    assert counted <= profiled <= 1.06 * counted
