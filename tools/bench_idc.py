#!/usr/bin/env python
"""Benchmark IDC on this machine and print JSON.

Inference: seconds per image of `--size` (default 720x1280, the GOPRO frame of the paper's 0.4 s on a
1080 Ti) for each architecture in `--archs` (random Xavier weights: speed does not depend on training),
eager-graph vs XLA (`tf.function(jit_compile=True)`), the model's FLOPs (TensorFlow's profiler on the
inference graph, cross-checked against a count from the convolution shapes), the attained GFLOP/s and the
peak resident memory of a process doing only that measurement (each runs in its own subprocess).

Training (`--train-config CONFIG`): seconds per training step of that config's model and batch, fed from a
batch cached in memory vs from the live tf.data pipeline, so one sees whether the pipeline is the
bottleneck; also the pipeline alone (batches per second). Each `--xla` mode is timed in its own process
(`compile(jit_compile=...)`), with the XLA speed-up as a ratio of the two. `--archs ''` skips inference.

Examples:
    flock /tmp/tfdeblur-cpu.lock python tools/bench_idc.py -o bench_idc.json
    flock /tmp/tfdeblur-cpu.lock python tools/bench_idc.py --archs small --train-config configs/idc_small.yaml
    TFDEBLUR_BSDS500=../shared/data/bsds500 flock /tmp/tfdeblur-cpu.lock \
        python tools/bench_idc.py --archs '' --train-config configs/idc_camera.yaml --train-steps 8
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Configs name their photos `bsds500:train`; on the development machine the photos are in ../shared/data.
_SHARED_BSDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "bsds500")
if os.path.isdir(_SHARED_BSDS):
    os.environ.setdefault("TFDEBLUR_BSDS500", _SHARED_BSDS)


def _parse_size(text: str) -> tuple[int, int]:
    height, width = (int(v) for v in text.lower().split("x"))
    return height, width


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def conv_flops(model, height: int, width: int) -> int:
    """FLOPs (2 per multiply-add) of IDC's convolutions on an HxW input, counted from Table 1's shapes.

    Per scale (padded size h x w, the same layers at every scale): E1 and D3 work at h x w, E2/D2 at 1/4 of
    the pixels, E3/D1 at 1/16; a transposed convolution costs k*k*cin*cout per input pixel; the texture
    branch and the fusion module work at h x w. Bias adds, ReLUs and skip additions are left out.
    """
    from tfdeblur.models.idc import pyramid

    k2, d2, n = model.kernel_size**2, 4**2, model.num_res_blocks
    c, (c1, c2, c3), t, f = model.image_channels, model.channels, model.texture_channels, model.fusion_channels

    def res(ch):  # one block's ResBlocks: 2 convs each
        return n * 2 * k2 * ch * ch

    per_pixel = (k2 * 2 * c * c1 + res(c1)                     # E1
                 + (k2 * c1 * c2 + res(c2)) / 4                 # E2 (stride-2 conv: output at 1/4)
                 + (k2 * c2 * c3 + res(c3)) / 16                # E3
                 + (res(c3) + d2 * c3 * c2) / 16                # D1 (deconv input at 1/16)
                 + (res(c2) + d2 * c2 * c1) / 4                 # D2
                 + res(c1) + d2 * c1 * c1                       # D3 (stride-1 deconv)
                 + k2 * (c1 + (t if model.texture else 0)) * f + k2 * f * c)  # fusion
    if model.texture:
        per_pixel += k2 * 2 * c * t + res(t) + k2 * t * t + res(t)
    multiple = pyramid.pad_multiple(model.scales)
    ph, pw = -(-height // multiple) * multiple, -(-width // multiple) * multiple
    pixels = sum((ph // 2**s) * (pw // 2**s) for s in range(model.scales))
    return int(2 * per_pixel * pixels)


def _profiler_flops(function, spec) -> int:
    import tensorflow as tf

    concrete = function.get_concrete_function(spec)
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return int(tf.compat.v1.profiler.profile(graph=concrete.graph, options=options).total_float_ops)


def _test_image(height: int, width: int):
    import numpy as np
    import tensorflow as tf

    from tfdeblur import physics
    from tfdeblur.tasks.demo import demo_image

    photo = tf.image.resize(demo_image()[None], [height, width]).numpy()[0]
    return physics.degrade(photo, physics.motion_kernel(15, 30), noise_sigma=0.01, seed=0)[None].astype(np.float32)


def child_inference(arch: str, xla: bool, height: int, width: int, repeats: int) -> dict:
    import keras
    import tensorflow as tf

    from tfdeblur.models.idc import presets

    keras.utils.set_random_seed(0)
    model = presets.build(arch)
    image = tf.constant(_test_image(height, width))
    function = tf.function(lambda x: model(x, training=False), jit_compile=xla, autograph=False)
    start = time.perf_counter()
    function(image).numpy()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(image).numpy()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    result = {"arch": arch, "xla": xla, "size": [height, width], "params": int(model.count_params()),
              "first_call_seconds": round(first, 3), "seconds": round(seconds, 3),
              "seconds_all": [round(t, 3) for t in times], "peak_rss_mb": _peak_rss_mb()}
    if not xla:
        plain = tf.function(lambda x: model(x, training=False), autograph=False)
        flops = _profiler_flops(plain, tf.TensorSpec([1, height, width, 3], tf.float32))
        result.update(gflops=round(flops / 1e9, 2), conv_gflops=round(conv_flops(model, height, width) / 1e9, 2),
                      gflops_per_second=round(flops / 1e9 / seconds, 1))
    return result


def child_train_step(config_path: str, steps: int, xla: bool) -> dict:
    import keras
    import tensorflow as tf

    from tfdeblur import data as data_lib
    from tfdeblur import families
    from tfdeblur.models.idc import training
    from tfdeblur.training import fitting

    config = families.load_config(config_path)
    keras.utils.set_random_seed(0)
    train_data, _ = data_lib.training_datasets(config.data)

    # The pipeline alone.
    iterator = iter(train_data)
    next(iterator)
    start = time.perf_counter()
    for _ in range(steps):
        next(iterator)
    pipeline = (time.perf_counter() - start) / steps

    class StepTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.ends = [time.perf_counter()]

        def on_train_batch_end(self, batch, logs=None):
            self.ends.append(time.perf_counter())

    def step_seconds(dataset) -> float:
        """Median wall time between consecutive step ends (data wait included), after 5 warm-up steps."""
        model = training.build_model(config)
        model.compile(optimizer=fitting.make_optimizer(config.trainer), loss=training.build_loss(config),
                      jit_compile=xla)
        timer = StepTimer()
        model.fit(dataset, epochs=1, steps_per_epoch=steps + 5, verbose=0, callbacks=[timer])
        durations = [b - a for a, b in zip(timer.ends[:-1], timer.ends[1:])][5:]
        return statistics.median(durations)

    cached = tf.data.Dataset.from_tensors(next(iter(train_data))).repeat()
    cached_seconds = step_seconds(cached)
    live_seconds = step_seconds(train_data)
    return {"config": config_path, "xla": xla, "batch": config.data.batch_size, "patch": config.data.patch_size,
            "steps": steps, "pipeline_seconds_per_batch": round(pipeline, 4),
            "train_step_seconds_cached_batch": round(cached_seconds, 4),
            "train_step_seconds_live_pipeline": round(live_seconds, 4),
            "pipeline_overhead_percent": round(100 * (live_seconds - cached_seconds) / cached_seconds, 1),
            "peak_rss_mb": _peak_rss_mb()}


def _run_child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--_child", *args], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed", "args": args}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="720x1280", help="HxW of the inference image (default 720x1280)")
    parser.add_argument("--archs", default="full,small", help="architectures (tfdeblur.models.idc.presets)")
    parser.add_argument("--xla", choices=("both", "on", "off"), default="both")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per measurement (median)")
    parser.add_argument("--train-config", help="also time training steps of this config (cached vs live data)")
    parser.add_argument("--train-steps", type=int, default=20)
    parser.add_argument("-o", "--output", help="also write the JSON here")
    parser.add_argument("--_child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._child:
        kind, *rest = args._child
        if kind == "infer":
            arch, xla, size, repeats = rest
            result = child_inference(arch, xla == "1", *_parse_size(size), int(repeats))
        else:
            result = child_train_step(rest[0], int(rest[1]), rest[2] == "1")
        print(json.dumps(result))
        return 0

    import platform

    xla_modes = {"both": ["0", "1"], "on": ["1"], "off": ["0"]}[args.xla]
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "inference": []}
    for arch in filter(None, args.archs.split(",")):
        for xla in xla_modes:
            result = _run_child(["infer", arch, xla, args.size, str(args.repeats)])
            report["inference"].append(result)
            print(json.dumps(result), file=sys.stderr)
    for result in report["inference"]:  # attained GFLOP/s of the XLA runs from the graph FLOPs
        if result.get("xla") and "error" not in result:
            plain = next((r for r in report["inference"] if r.get("arch") == result["arch"] and not r.get("xla")
                          and "gflops" in r), None)
            if plain:
                result["gflops_per_second"] = round(plain["gflops"] / result["seconds"], 1)
    if args.train_config:
        report["train_step"] = [_run_child(["train", args.train_config, str(args.train_steps), xla])
                                for xla in xla_modes]
        timed = {r["xla"]: r["train_step_seconds_cached_batch"] for r in report["train_step"] if "error" not in r}
        if len(timed) == 2:
            report["train_xla_speedup"] = round(timed[False] / timed[True], 2)
    text = json.dumps(report, indent=1)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
