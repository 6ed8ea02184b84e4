"""SelfDeblur: zero-shot blind deconvolution by fitting two generators to one blurry image."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from tfdeblur.errors import InputError
from tfdeblur.io import validate_image, validate_kernel
from tfdeblur.models.selfdeblur.color import rgb_to_ycbcr, ycbcr_to_rgb
from tfdeblur.models.selfdeblur.image_generator import ImageGenerator
from tfdeblur.models.selfdeblur.kernel_generator import KernelGenerator
from tfdeblur.models.selfdeblur.losses import TV_PER_SIGMA, data_loss, total_variation
from tfdeblur.models.selfdeblur.paper_schedule import COLOR_SCHEDULE, GRAY_SCHEDULE, multistep_schedule
from tfdeblur.physics import convolve, estimate_noise_sigma

OPTIMIZATIONS = ("joint", "alternating")
PRECISIONS = ("float32", "mixed_bfloat16")
SCHEDULES = ("paper", "fast")  # fast: deprecated spelling of the blind pipeline (`tfdeblur.models.blind`)
FAST_DEPRECATION = ("SelfDeblur's 'fast' schedule runs no network: it is the blind pipeline, now method 'blind' "
                    "(tfdeblur.models.blind); this spelling goes in the next release")
NONBLIND = ("wiener", "irc")  # non-blind finishers (SelfDeblur-Delta)
IMAGE_NOISE_CHANNELS = 8
KERNEL_NOISE_DIM = 200
NOISE_SCALE = 0.1  # the generators' inputs are uniform in [0, 0.1)
MIN_IMAGE_SIZE = 11  # the SSIM window


@dataclasses.dataclass
class History:
    """What `SelfDeblur.run` records: the loss and the duration of every step, and the total wall time."""

    loss: list[float] = dataclasses.field(default_factory=list)
    step_seconds: list[float] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    seed: int | None = None


def _kernel_shape(kernel_size) -> tuple[int, int]:
    size = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else tuple(kernel_size)
    if len(size) != 2 or any(int(s) != s or s < 3 or s % 2 == 0 for s in size):
        raise InputError(f"kernel size must be an odd integer >= 3 (or two of them), got {kernel_size}")
    return int(size[0]), int(size[1])


class SelfDeblur:
    """Blind deconvolution of one image with no training data (SelfDeblur, Ren et al. 2020).

    An image generator (DIP skip network, `ImageGenerator`) maps fixed noise to a latent sharp image
    of size (H + kh - 1) x (W + kw - 1), a kernel generator (`KernelGenerator`) maps fixed noise to a
    kh x kw kernel, and both are fitted with Adam so that the 'valid' blur of the one by the other
    reproduces the blurry H x W image: mean squared error for the first `ssim_start` steps, then
    1 - SSIM. The generators' structure is the prior. Colour images are deblurred through their luma
    (Y of YCbCr); the chroma of the input is kept.

    Args:
        kernel_size: odd size of the kernel to estimate (int, or (kh, kw)); it must cover the blur.
        iterations: optimisation steps (the official code: 5000 for gray images; 2500 for colour).
        seed: makes the run reproducible (weights, input noise and its per-step perturbation); None
            draws one (kept in `history.seed`).
        optimization: "joint" (both networks each step; the paper's default and better) or
            "alternating" (image step then kernel step; the paper's Table 1 ablation).
        image_lr: Adam learning rate of the image generator.
        kernel_lr: Adam learning rate of the kernel generator.
        milestones: steps at which both learning rates are multiplied by `gamma`; default (2000, 3000,
            4000) for gray and (1600, 1900, 2200) for colour images, as the official code.
        gamma: the learning-rate decay factor.
        ssim_start: step from which the loss is 1 - SSIM instead of MSE; default 1000 (gray), 500 (colour).
        input_noise: std of the gaussian perturbation of the image generator's input at every step.
        tv_weight: weight of a total-variation term on the generated image; "auto" ties it to the noise
            level estimated from the blurry image (`TV_PER_SIGMA` x sigma); 0 (default) disables it.
        nonblind: None, or "wiener" / "irc" (`tfdeblur.solvers.irc`) to finish with a non-blind
            deconvolution of the blurry image by the estimated kernel (the paper's SelfDeblur-Delta).
        precision: "float32" or "mixed_bfloat16" (bfloat16 convolutions in the image generator).
        jit_compile: compile the training step with XLA.
        log_dir: write TensorBoard summaries there (loss every step; image and kernel every `log_every`).
        log_every: image/kernel summary and `callback` period, in steps.
        callback: `callback(step, image, kernel)` every `log_every` steps and after the last step (image
            and kernel as `run` would return them at that step, before the non-blind finish).
        progress: show a tqdm progress bar with the current loss.
        generator_options: extra `ImageGenerator` arguments (e.g. narrower `down_channels`).
        schedule: "paper" (the official schedule above). "fast" is deprecated (a FutureWarning): it runs
            no network but the blind pipeline (`tfdeblur.models.blind`, method "blind"), which also
            takes `kernel_size` "auto".
        fast_options: `tfdeblur.models.blind.BlindOptions` fields (a dict) for the deprecated "fast".
        initial_kernel: start the kernel generator from this kernel (resampled to `kernel_size`), e.g.
            the blind pipeline's estimate, instead of from its random initialisation.
        checkpoint_dir: paper schedule: keep the run's state there (both generators, both optimizers,
            the loss history) every `checkpoint_every` steps and at the end; a run given a folder that
            holds the state of the same run (same image, kernel size, seed and settings) continues from
            it, exactly (the per-step input noise is a function of the seed and the step). A folder
            holding another run is refused. The folder is a resume folder (`tfdeblur.training.resume.LoopRun`):
            state.json, weights.weights.h5 and curve.csv (the loss of every step).
        checkpoint_every: steps between two saves of the state.

    Example:
    >>> import numpy as np
    >>> from tfdeblur.physics import blur, motion_kernel
    >>> sharp = np.random.default_rng(0).random((40, 40)).astype("float32")
    >>> blurry = blur(sharp, motion_kernel(5, 0), mode="valid")  # 36 x 36
    >>> small = dict(down_channels=(8, 8), up_channels=(8, 8), skip_channels=(2, 2), non_local_levels=())
    >>> image, kernel = SelfDeblur(5, iterations=3, seed=0, progress=False,
    ...                            generator_options=small).run(blurry)
    >>> image.shape, kernel.shape, round(float(kernel.sum()), 4)
    ((36, 36), (5, 5), 1.0)

    Reference:
        D. Ren, K. Zhang, Q. Wang, Q. Hu, W. Zuo, "Neural Blind Deconvolution Using Deep Priors",
        CVPR 2020; settings from the authors' code (github.com/csdwren/SelfDeblur).
    """

    # The data term needs gradients for both the image and the kernel; there the FFT path beats the direct
    # one at every kernel size (271x271 image, 17x17 kernel, forward + both gradients: 137 ms direct,
    # 6 ms FFT), while `convolve`'s "auto" only switches at 25x25 taps (it is tuned for forward blurs).
    # A class attribute, so benchmarks and tests can set "direct" on an instance to compare.
    blur_method = "fft"

    def __init__(self, kernel_size, iterations: int = 5000, seed: int | None = None, *,
                 optimization: str = "joint", image_lr: float = 0.01, kernel_lr: float = 1e-4,
                 milestones=None, gamma: float = 0.5, ssim_start: int | None = None,
                 input_noise: float = 0.001, tv_weight: float | str = 0.0, nonblind: str | None = None,
                 precision: str = "float32", jit_compile: bool = False, log_dir=None, log_every: int = 100,
                 callback: Callable | None = None, progress: bool = True, generator_options: dict | None = None,
                 schedule: str = "paper", fast_options=None, checkpoint_dir=None, checkpoint_every: int = 100,
                 initial_kernel=None):
        if schedule not in SCHEDULES:
            raise InputError(f"unknown schedule '{schedule}'; choose from {', '.join(SCHEDULES)}")
        if kernel_size == "auto" and schedule != "fast":
            raise InputError("kernel size 'auto' needs the fast schedule")
        self.schedule = schedule
        self.fast_options = dict(fast_options or {})
        if schedule == "fast":
            import warnings

            from tfdeblur.models.blind import BlindOptions

            warnings.warn(FAST_DEPRECATION, FutureWarning, stacklevel=2)
            try:  # checked here, before any work
                finish = {"finish": nonblind} if nonblind else {}
                self.fast_options = BlindOptions(**dict(self.fast_options, **finish))
            except TypeError as err:
                raise InputError(f"unknown blind option: {err}") from None
        self.kernel_size = "auto" if kernel_size == "auto" else _kernel_shape(kernel_size)
        if int(iterations) != iterations or iterations < 1:
            raise InputError(f"iterations must be a positive integer, got {iterations}")
        for name, value, choices in (("optimization", optimization, OPTIMIZATIONS),
                                     ("precision", precision, PRECISIONS),
                                     ("nonblind", nonblind, NONBLIND + (None,))):
            if value not in choices:
                raise InputError(f"unknown {name} '{value}'; choose from {', '.join(map(str, choices))}")
        if not (tv_weight == "auto" or (isinstance(tv_weight, (int, float)) and tv_weight >= 0)):
            raise InputError(f"tv_weight must be a non-negative number or 'auto', got {tv_weight!r}")
        if log_every < 1 or checkpoint_every < 1:
            raise InputError(f"log_every and checkpoint_every must be positive, got {log_every}, {checkpoint_every}")
        if checkpoint_dir is not None and schedule != "paper":
            raise InputError("a checkpoint folder applies to the paper schedule (the fast one takes seconds)")
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = int(checkpoint_every)
        self.iterations = int(iterations)
        self.seed = seed
        self.optimization = optimization
        self.image_lr = image_lr
        self.kernel_lr = kernel_lr
        self.milestones = None if milestones is None else tuple(int(m) for m in milestones)
        self.gamma = gamma
        self.ssim_start = ssim_start
        self.input_noise = input_noise
        self.tv_weight = tv_weight
        self.nonblind = nonblind
        self.precision = precision
        self.jit_compile = jit_compile
        self.log_dir = log_dir
        self.log_every = int(log_every)
        self.callback = callback
        self.progress = progress
        self.generator_options = dict(generator_options or {})
        self.history = History()
        self.initial_kernel = None if initial_kernel is None else validate_kernel(initial_kernel)
        self.info: dict = {}  # the fast schedule's report (kernel size found, stages, seconds)
        self.image_generator: ImageGenerator | None = None
        self.kernel_generator: KernelGenerator | None = None

    # -- set-up -------------------------------------------------------------------------------------

    def _validate(self, blurry) -> np.ndarray:
        array = np.asarray(blurry) if not isinstance(blurry, tf.Tensor) else blurry.numpy()
        if array.ndim == 3 and array.shape[2] not in (1, 3):
            raise InputError(f"SelfDeblur takes gray or RGB images (HxW, HxWx1, HxWx3), got shape {array.shape}")
        array = validate_image(array, name="blurry image")
        kh, kw = (1, 1) if self.kernel_size == "auto" else self.kernel_size
        h, w = array.shape[:2]
        if kh > h or kw > w:
            raise InputError(f"kernel size {kh}x{kw} is larger than the {h}x{w} image")
        if min(h, w) < MIN_IMAGE_SIZE:
            raise InputError(f"the image is {h}x{w}; SelfDeblur needs at least {MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE}")
        return array

    def _schedule(self, color: bool) -> tuple[tuple[int, ...], int]:
        defaults = COLOR_SCHEDULE if color else GRAY_SCHEDULE
        milestones = self.milestones if self.milestones is not None else defaults["milestones"]
        ssim_start = self.ssim_start if self.ssim_start is not None else defaults["ssim_start"]
        return tuple(sorted(milestones)), int(ssim_start)

    def _optimizer(self, lr: float, milestones) -> keras.optimizers.Optimizer:
        # epsilon as PyTorch's Adam (Keras defaults to 1e-7).
        return keras.optimizers.Adam(learning_rate=multistep_schedule(lr, milestones, self.gamma), epsilon=1e-8)

    def _build(self, shape, seed: int):
        kh, kw = self.kernel_size
        rng = np.random.default_rng(seed)
        size = (shape[0] + kh - 1, shape[1] + kw - 1)
        image_noise = rng.random((1, *size, IMAGE_NOISE_CHANNELS), dtype=np.float32) * NOISE_SCALE
        kernel_noise = rng.random((1, KERNEL_NOISE_DIM), dtype=np.float32) * NOISE_SCALE
        options = dict(self.generator_options)
        options.setdefault("seed", seed)
        self.image_generator = ImageGenerator(dtype=self.precision, **options)
        self.kernel_generator = KernelGenerator(self.kernel_size, input_dim=KERNEL_NOISE_DIM, seed=seed + 1)
        self.image_generator.build((1, *size, IMAGE_NOISE_CHANNELS))
        self._optimizers = ()
        self.kernel_generator.build((1, KERNEL_NOISE_DIM))
        self._image_noise, self._kernel_noise = tf.constant(image_noise), tf.constant(kernel_noise)
        return self._image_noise, self._kernel_noise

    # -- the compiled steps -----------------------------------------------------------------------

    def _make_step(self, blurry, image_noise, kernel_noise, seed: int, tv_weight: float, milestones):
        image_net, kernel_net = self.image_generator, self.kernel_generator
        image_vars, kernel_vars = image_net.trainable_variables, kernel_net.trainable_variables
        image_opt = self._optimizer(self.image_lr, milestones)
        kernel_opt = self._optimizer(self.kernel_lr, milestones)
        image_opt.build(image_vars)
        kernel_opt.build(kernel_vars)
        self._optimizers = (image_opt, kernel_opt)
        noise_std = self.input_noise
        blur_method = self.blur_method

        def forward(step):
            noise = image_noise + noise_std * tf.random.stateless_normal(
                tf.shape(image_noise), seed=tf.stack([tf.cast(seed, tf.int64), step]))
            x = image_net(noise)
            k = kernel_net(kernel_noise)[0]
            return x, k

        def objective(x, k, use_ssim):
            loss = data_loss(convolve(x, k, mode="valid", method=blur_method), blurry, use_ssim)
            if tv_weight:
                loss += tv_weight * total_variation(x)
            return loss

        def joint(step, use_ssim):
            with tf.GradientTape() as tape:
                x, k = forward(step)
                loss = objective(x, k, use_ssim)
            grads = tape.gradient(loss, image_vars + kernel_vars)
            image_opt.apply(grads[:len(image_vars)], image_vars)
            kernel_opt.apply(grads[len(image_vars):], kernel_vars)
            return loss, x, k

        def alternating(step, use_ssim):
            with tf.GradientTape() as tape:  # image step, kernel fixed
                x, k = forward(step)
                loss = objective(x, tf.stop_gradient(k), use_ssim)
            image_opt.apply(tape.gradient(loss, image_vars), image_vars)
            x_new, _ = forward(step)  # the updated image, same input
            x_new = tf.stop_gradient(x_new)
            with tf.GradientTape() as tape:  # kernel step, the updated image fixed
                k = kernel_net(kernel_noise)[0]
                kernel_loss = objective(x_new, k, use_ssim)
            kernel_opt.apply(tape.gradient(kernel_loss, kernel_vars), kernel_vars)
            return loss, x, k

        body = joint if self.optimization == "joint" else alternating
        compiled = {flag: tf.function(lambda step, flag=flag: body(step, flag), jit_compile=self.jit_compile)
                    for flag in (False, True)}
        return compiled

    # -- running ------------------------------------------------------------------------------------

    def _crop(self, x: np.ndarray, shape) -> np.ndarray:
        kh, kw = self.kernel_size
        top, left = (kh - 1) // 2, (kw - 1) // 2  # the latent pixel aligned with each blurry pixel
        return x[top:top + shape[0], left:left + shape[1]]

    def run(self, blurry):
        """Deblur `blurry` (HxW, HxWx1 or HxWx3 float in [0, 1]).

        Returns:
            (image, kernel): the sharp estimate with the input's shape (float32 in [0, 1]) and the
            kernel (float32 kh x kw, non-negative, sums to 1; a convolution kernel, so
            `physics.blur(image, kernel)` re-blurs).
        """
        from tqdm.auto import tqdm

        array = self._validate(blurry)
        color = array.ndim == 3 and array.shape[2] == 3
        ycc = rgb_to_ycbcr(array) if color else None
        luma = (ycc[..., 0] if color else array.reshape(array.shape[:2])).astype(np.float32)
        seed = self.seed if self.seed is not None else int(np.random.SeedSequence().entropy % (2**31))
        if self.schedule == "fast":
            image, kernel = self._run_fast(array if color else array.reshape(array.shape[:2]), luma, seed)
            return image.reshape(array.shape), kernel
        milestones, ssim_start = self._schedule(color)
        tv_weight = (TV_PER_SIGMA * estimate_noise_sigma(luma) if self.tv_weight == "auto"
                     else float(self.tv_weight))
        image_noise, kernel_noise = self._build(luma.shape, seed)
        if self.initial_kernel is not None:
            from tfdeblur.models.selfdeblur.kernel_transfer import carry_kernel
            from tfdeblur.physics.kernel_support import resize_kernel

            carry_kernel(self.kernel_generator, resize_kernel(self.initial_kernel, self.kernel_size))
        target = tf.constant(luma[None, :, :, None])
        steps = self._make_step(target, image_noise, kernel_noise, seed, tv_weight, milestones)
        writer = tf.summary.create_file_writer(str(self.log_dir)) if self.log_dir else None
        self.history = History(seed=seed)
        state = None
        saved = ([self.image_generator, self.kernel_generator], list(self._optimizers))
        if self.checkpoint_dir is not None:
            from tfdeblur.training.resume import LoopRun

            state = LoopRun(self.checkpoint_dir, self._fingerprint(luma, seed, color), "selfdeblur",
                            total_steps=self.iterations, flag="--checkpoint-dir")
            self.history.loss, self.history.seconds = state.restore(*saved)
        first = len(self.history.loss)
        start = time.perf_counter() - self.history.seconds
        bar = tqdm(range(first, self.iterations), desc="SelfDeblur", disable=not self.progress, leave=False,
                   initial=first, total=self.iterations)
        for step in bar:
            tick = time.perf_counter()
            loss, x, k = steps[step >= ssim_start](tf.constant(step, tf.int64))
            loss = float(loss)
            self.history.step_seconds.append(time.perf_counter() - tick)
            if not math.isfinite(loss):
                raise FloatingPointError(f"SelfDeblur diverged at step {step} (loss {loss})")
            self.history.loss.append(loss)
            bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            last = step + 1 == self.iterations
            if writer is not None:
                with writer.as_default(step=step):
                    tf.summary.scalar("loss", loss)
            if (step + 1) % self.log_every == 0 or last:
                self._report(step + 1, x, k, luma.shape, ycc, writer)
            if state is not None and ((step + 1) % self.checkpoint_every == 0 or last):
                self.history.seconds = time.perf_counter() - start
                state.save(*saved, self.history.loss, self.history.seconds, finished=last)
        bar.close()
        self.history.seconds = time.perf_counter() - start
        if writer is not None:
            writer.close()
        image, kernel = self._result(luma.shape, ycc)
        if self.nonblind is not None:
            image = self._nonblind_finish(array if color else array.reshape(array.shape[:2]), kernel)
        return image.reshape(array.shape).astype(np.float32), kernel

    def _fingerprint(self, luma: np.ndarray, seed: int, color: bool) -> dict:
        """What a checkpoint must match to be resumed: the image and every setting of the optimisation."""
        import hashlib

        milestones, ssim_start = self._schedule(color)

        def digest(array):
            return hashlib.sha1(np.ascontiguousarray(array, np.float32).tobytes()).hexdigest()

        extra = {} if self.initial_kernel is None else dict(initial_kernel_sha1=digest(self.initial_kernel))
        return dict(extra, image_sha1=digest(luma),
                    shape=list(luma.shape), kernel_size=list(self.kernel_size), seed=int(seed),
                    iterations=self.iterations, optimization=self.optimization, image_lr=self.image_lr,
                    kernel_lr=self.kernel_lr, milestones=list(milestones), gamma=self.gamma,
                    ssim_start=ssim_start, input_noise=self.input_noise, tv_weight=self.tv_weight,
                    precision=self.precision, generator_options=self.generator_options,
                    blur_method=self.blur_method)

    def _run_fast(self, blurry, luma, seed):
        from tfdeblur.models.blind import run_blind

        self.history = History(seed=seed)
        image, kernel, self.info = run_blind(blurry, luma, self.kernel_size, self.fast_options, self.progress)
        self.history.seconds = self.info["seconds"]
        return image.astype(np.float32), kernel

    def _nonblind_finish(self, blurry, kernel):
        if self.nonblind == "irc":  # ADMM + IRC with 'valid' boundaries: sharper than Wiener, ~1 s/MP
            from tfdeblur.solvers.irc import irc

            return irc(blurry, kernel)
        from tfdeblur.solvers.wiener import wiener

        return wiener(blurry, kernel)

    def _finish(self, x, k, shape, ycc):
        image = self._crop(np.asarray(x)[0, :, :, 0], shape)
        if ycc is not None:
            image = ycbcr_to_rgb(np.concatenate([image[..., None], ycc[..., 1:]], axis=-1))
        kernel = np.asarray(k, np.float64)
        kernel = (kernel / kernel.sum()).astype(np.float32)
        return np.clip(image, 0.0, 1.0).astype(np.float32), kernel

    def _report(self, step, x, k, shape, ycc, writer):
        if writer is None and self.callback is None:
            return
        image, kernel = self._finish(x.numpy(), k.numpy(), shape, ycc)
        if writer is not None:
            with writer.as_default(step=step):
                tf.summary.image("image", np.atleast_3d(image)[None])
                tf.summary.image("kernel", (kernel / kernel.max())[None, :, :, None])
        if self.callback is not None:
            self.callback(step, image, kernel)

    def _result(self, shape, ycc):
        """The final estimate: the fitted generators on their unperturbed inputs."""
        x = self.image_generator(self._image_noise)
        k = self.kernel_generator(self._kernel_noise)[0]
        return self._finish(x.numpy(), k.numpy(), shape, ycc)
