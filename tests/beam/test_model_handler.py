import numpy as np
import pytest

pytest.importorskip("apache_beam", reason="apache-beam is in the test extra: pip install -e '.[test]'")

from apache_beam.ml.inference.base import KeyedModelHandler  # noqa: E402

from tfdeblur import InputError, physics  # noqa: E402
from tfdeblur.beam.model_handler import DeblurModelHandler, Failure, Photo  # noqa: E402


def test_one_bad_photo_does_not_fail_its_batch(gray_photo):
    kernel = physics.motion_kernel(9, 30)
    handler = KeyedModelHandler(DeblurModelHandler("wiener", kernel))
    model = handler.load_model()
    good = Photo(physics.blur(gray_photo[:64, :64], kernel, mode="same"), 8)
    bad = Photo(np.full((4, 4), np.nan, np.float32), 8)
    results = dict(handler.run_inference([("good", good), ("bad", bad)], model))
    assert results["good"].inference.shape == (64, 64)
    assert isinstance(results["bad"].inference, Failure) and "NaN" in results["bad"].inference.reason


def test_batching_and_sharing_follow_the_method():
    assert DeblurModelHandler("wiener").batch_elements_kwargs()["max_batch_size"] > 1
    assert DeblurModelHandler("idc").batch_elements_kwargs()["max_batch_size"] == 1
    assert not DeblurModelHandler("idc").share_model_across_processes()
    assert DeblurModelHandler("idc", share_model=True).share_model_across_processes()


@pytest.mark.parametrize("method, options, match", [
    ("nope", {}, "unknown method"), ("wiener", {}, "non-blind"),
    ("selfdeblur", {"tile": 64}, "does not take"),
])
def test_check_fails_fast(method, options, match):
    with pytest.raises(InputError, match=match):
        DeblurModelHandler(method, None, options).check()
