"""Benchmark the blur operator (direct vs FFT; eager vs XLA; with a kernel gradient) and Wiener. Prints JSON.

The crossover kernel size where FFT beats direct convolution is what `tfdeblur.physics.blur.FFT_MIN_TAPS`
is set to; the kernel-gradient timings are what blind methods that learn a kernel should look at.

    python tools/bench_physics.py [--size 512] [--batch 4] [--repeats 3]
"""

import argparse
import json
import resource
import time

import cv2
import numpy as np
import tensorflow as tf

from tfdeblur import metrics, physics
from tfdeblur.physics.blur import FFT_MIN_TAPS, convolve
from tfdeblur.solvers.wiener import wiener
from tfdeblur.tasks.demo import demo_image

# Direct convolution under XLA is very slow on CPU for large kernels; time it only up to this size.
MAX_DIRECT_XLA = 33


def median_ms(fn, repeats):
    fn()  # warm-up / tracing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(1000 * float(np.median(times)), 2)


def blur_row(images, kernels, single, ksize, repeats):
    row = {"kernel": ksize}
    for method in ("direct", "fft"):
        row[f"{method}_ms"] = median_ms(lambda: convolve(images, kernels, "same", method=method).numpy(), repeats)
        if method == "fft" or ksize <= MAX_DIRECT_XLA:
            compiled = tf.function(lambda x, k: convolve(x, k, "same", method=method), jit_compile=True)
            row[f"{method}_xla_ms"] = median_ms(lambda: compiled(images, kernels).numpy(), repeats)
        variable = tf.Variable(single)

        @tf.function
        def kernel_gradient(x):
            with tf.GradientTape() as tape:
                y = convolve(x, variable, "valid", method=method)
                loss = tf.reduce_sum(y * y)
            return tape.gradient(loss, variable)

        row[f"{method}_kernel_grad_ms"] = median_ms(lambda: kernel_gradient(images[:1, :, :, :1]).numpy(), repeats)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    photo = cv2.resize(demo_image(), (args.size, args.size), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    images = tf.constant(np.stack([np.rot90(photo, i) for i in range(args.batch)]), tf.float32)
    rows = []
    for ksize in (9, 15, 21, 27, 33, 41, 61, 121):
        kernels = np.stack([physics.trajectory_kernel(ksize, seed=i) for i in range(args.batch)])
        rows.append(blur_row(images, tf.constant(kernels), kernels[0], ksize, args.repeats))
    kernel = physics.motion_kernel(15, 30)
    blurry, sharp = physics.degrade(photo, kernel, noise_sigma=0.01, mode="valid", seed=0, return_target=True)
    wiener_ms = median_ms(lambda: wiener(blurry, kernel), args.repeats)
    report = {
        "setup": f"blur: {args.batch}x{args.size}x{args.size}x3 'same', one trajectory kernel per image; kernel "
                 f"gradient: 1x{args.size}x{args.size}x1 'valid'; wiener: {args.size}x{args.size}x3 photo, "
                 "motion 15 px, noise 0.01",
        "tensorflow": tf.__version__,
        "blur": rows,
        "fft_min_taps_in_use": FFT_MIN_TAPS,
        "wiener_seconds_per_megapixel": round(wiener_ms / 1000 / (blurry.shape[0] * blurry.shape[1] / 1e6), 4),
        "wiener_psnr": round(metrics.psnr(wiener(blurry, kernel), sharp), 2),
        "blurry_psnr": round(metrics.psnr(blurry, sharp), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
