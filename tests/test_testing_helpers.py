"""The shared test helpers fail on a broken layer (they are checks that can fail)."""

import keras
import numpy as np
import pytest

from tfdeblur.testing import constructor_arguments, run_layer_test


class Scale(keras.layers.Layer):
    def __init__(self, factor: float = 2.0, offset: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.offset = offset

    def call(self, x):
        return x * self.factor + self.offset

    def get_config(self):  # forgets `offset`
        return {**super().get_config(), "factor": self.factor}


def test_constructor_arguments_include_parents():
    class Shifted(Scale):
        def __init__(self, shift: int = 1, **kwargs):
            super().__init__(**kwargs)

    assert constructor_arguments(Shifted) == ["shift", "factor", "offset"]


def test_an_argument_missing_from_get_config_fails_even_when_the_test_does_not_pass_it():
    with pytest.raises(AssertionError, match="offset"):
        run_layer_test(Scale, {"factor": 3.0}, np.ones((1, 4, 4, 1), np.float32), run_training_check=False)
