"""The Beam `ModelHandler` of `tfdeblur batch`: a registered method, loaded once per worker process.

RunInference calls `load_model()` once per worker (or once per machine with `share_model=True`) and then
`run_inference` on batches of decoded photos. The "model" is a `Deblurrer`: the method's function with its
kernel and options, warmed up on a small image so presets are loaded and TensorFlow functions traced before
the first photo arrives.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Sequence

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from tfdeblur.errors import InputError

# Elements RunInference groups per call. Wiener takes milliseconds per photo, so Beam's per-call overhead
# is worth amortising; every other method runs one photo at a time (their memory grows with the photo and
# they do not stack photos of different sizes), so their batches hold one element.
MAX_BATCH = {"wiener": 8}
# blind and selfdeblur fit each photo from scratch: there is nothing to load, and a warm-up run would be a
# full fit.
NO_WARM_UP = {"blind", "selfdeblur"}


@dataclasses.dataclass(frozen=True)
class Photo:
    """A decoded input: float32 [0, 1] pixels and the bit depth to write the result with."""

    image: np.ndarray
    bit_depth: int


@dataclasses.dataclass(frozen=True)
class Failure:
    """The inference of a photo that failed: a one-line reason for the dead-letter list."""

    reason: str


def one_line(err: BaseException) -> str:
    """A user-facing reason: InputError messages as they are, anything else with its type."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return text if isinstance(err, InputError) else f"{type(err).__name__}: {text}".rstrip(": ")


class Deblurrer:
    """A method with its kernel and options, callable on one image (the per-worker 'model')."""

    def __init__(self, method: str, kernel: np.ndarray | None, options: dict[str, Any]):
        self.method = method
        self.kernel = kernel
        self.options = dict(options)

    def warm_up(self) -> None:
        side = max(64, 2 * max(np.shape(self.kernel) or (0,)) + 16)
        self.deblur(np.full((side, side, 3), 0.5, np.float32))

    def deblur(self, image: np.ndarray) -> np.ndarray:
        from tfdeblur import methods

        return methods.run(image, method=self.method, kernel=self.kernel, **self.options).image


class DeblurModelHandler(ModelHandler[Photo, Any, Deblurrer]):
    """Runs a tfdeblur method on `Photo`s; wrap it in `KeyedModelHandler` to keep file paths as keys.

    Args:
        method: a registered method name (`tfdeblur.methods.available()`).
        kernel: the blur kernel for non-blind methods (validated, sums to 1), else None.
        options: method options as `tfdeblur deblur` passes them (`model`, `iterations`, `tile`, ...).
        share_model: load one copy per machine and share it between the worker's processes (for large
            presets on runners that start several SDK processes per machine).

    Each `PredictionResult.inference` is the deblurred float image, or a `Failure` when that photo could
    not be deblurred: one bad photo never fails the others of its batch.

    Example:
    >>> from apache_beam.ml.inference.base import KeyedModelHandler  # doctest: +SKIP
    >>> handler = KeyedModelHandler(DeblurModelHandler("wiener", kernel, {}))  # doctest: +SKIP
    """

    def __init__(self, method: str, kernel: np.ndarray | None = None, options: dict[str, Any] | None = None,
                 share_model: bool = False):
        super().__init__()
        self.method = method
        self.kernel = kernel
        self.options = dict(options or {})
        self.share_model = share_model

    def check(self) -> None:
        """Fail fast, in the launching process, on settings that would fail for every photo (unknown
        method or preset, missing kernel, options the method does not take): one line, before any worker."""
        from tfdeblur import methods

        spec = methods.get(self.method)
        if spec.needs_kernel and self.kernel is None:
            raise InputError(f"method '{self.method}' is non-blind: give the blur kernel with --kernel")
        if self.method in NO_WARM_UP:
            methods.check_options(spec, self.options)
        else:
            self.load_model()

    def load_model(self) -> Deblurrer:
        model = Deblurrer(self.method, self.kernel, self.options)
        if self.method not in NO_WARM_UP:
            model.warm_up()
        return model

    def run_inference(self, batch: Sequence[Photo], model: Deblurrer,
                      inference_args: dict[str, Any] | None = None) -> Iterable[PredictionResult]:
        for photo in batch:
            try:
                inference = model.deblur(photo.image)
            except Exception as err:  # reported per photo in the dead-letter list
                inference = Failure(one_line(err))
            yield PredictionResult(photo, inference, model_id=self.method)

    def batch_elements_kwargs(self) -> dict[str, Any]:
        return {"min_batch_size": 1, "max_batch_size": MAX_BATCH.get(self.method, 1)}

    def share_model_across_processes(self) -> bool:
        return self.share_model

    def get_num_bytes(self, batch: Sequence[Photo]) -> int:
        return sum(photo.image.nbytes for photo in batch)  # cheaper than Beam's default (pickling the batch)

    def get_metrics_namespace(self) -> str:
        return "tfdeblur"
