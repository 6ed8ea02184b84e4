"""The command line's methods give the same outputs as before the start-up work of issue 32.

`data/cold_start_reference.npz` holds fixed inputs and the outputs the code gave on them before it was
changed (commit 35449fd, written by running this file: `python tests/test_cold_start_outputs.py`). Every
change made to start faster (compiled functions traced once, eager runs of small images, imports) must
keep them, to float tolerance.

The outputs are compared in a fresh process with TensorFlow's portable CPU kernels (`TF_ENABLE_ONEDNN_OPTS=0`),
the numerics the reference was written in. oneDNN's kernels round differently on CPUs with other instruction
sets (a machine with AVX512-BF16/VNNI), and the IRC solver's discrete choices (the inverse filters' size by
contraction, conjugate gradients' stop) turn that rounding into differences of up to 0.008 (measured
2026-12-07), which would say nothing about start-up changes.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REFERENCE = Path(__file__).parent / "data" / "cold_start_reference.npz"
TOLERANCE = 1e-5
BLIND_CROP = (slice(80, 176), slice(80, 176))  # the stored part of the 255x255 blind result


def make_inputs() -> dict[str, np.ndarray]:
    """Blurry inputs made from the bundled astronaut photo (stored, so the tests do not depend on the blur)."""
    from tfdeblur import physics
    from tfdeblur.tasks.demo import demo_image

    photo = demo_image()
    gray = photo.mean(axis=2).astype(np.float32)
    rng = np.random.default_rng(0)
    kernel = physics.motion_kernel(9, 30)
    blurry = physics.blur(gray[64:128, 96:160], kernel, mode="same") + rng.normal(0, 0.01, (64, 64))
    rgb = physics.blur(photo[100:148, 80:128], kernel, mode="same") + rng.normal(0, 0.01, (48, 48, 3))
    shake = physics.trajectory_kernel(15, seed=3)
    capture = physics.blur(gray[:255, :255], shake, mode="same") + rng.normal(0, 0.01, (255, 255))
    return {"blurry": np.clip(blurry, 0, 1).astype(np.float32), "blurry_rgb": np.clip(rgb, 0, 1).astype(np.float32),
            "kernel": kernel.astype(np.float32),
            "capture": np.round(np.clip(capture, 0, 1) * 255).astype(np.uint8)}  # an 8-bit photo


def outputs(inputs: dict[str, np.ndarray], names) -> dict[str, np.ndarray]:
    from tfdeblur import methods

    kernel, found = inputs["kernel"], {}
    for name in names:
        if name == "blind":
            result = methods.run(inputs["capture"].astype(np.float32) / 255, method="blind")
            found["blind"], found["blind_kernel"] = result.image[BLIND_CROP], result.kernel
        elif name == "ircnet_rgb":
            found[name] = methods.run(inputs["blurry_rgb"], method="ircnet", kernel=kernel).image
        else:
            found[name] = methods.run(inputs["blurry"], method=name,
                                      kernel=None if name == "idc" else kernel).image
    return found


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE) as data:
        return dict(data)


@pytest.mark.parametrize("name", ["wiener", "ircnet", "ircnet_rgb", "idc",
                                  pytest.param("blind", marks=pytest.mark.slow)])
def test_outputs_are_unchanged(reference, name, tmp_path):
    found = portable_outputs([name], tmp_path / "found.npz")
    for key, value in found.items():
        np.testing.assert_allclose(value, reference[key], atol=TOLERANCE, rtol=0, err_msg=key)


def portable_outputs(names, path: Path) -> dict[str, np.ndarray]:
    """`outputs` of the stored inputs, computed by this file in a fresh process with oneDNN off."""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, __file__, "--outputs", str(path), *names], env=env, check=True)
    with np.load(path) as data:
        return dict(data)


if __name__ == "__main__":
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # before TensorFlow is imported: see the docstring
    if sys.argv[1:2] == ["--outputs"]:
        with np.load(REFERENCE) as stored:
            np.savez(sys.argv[2], **outputs(dict(stored), sys.argv[3:]))
    else:
        data = make_inputs()
        data.update(outputs(data, ["wiener", "ircnet", "ircnet_rgb", "idc", "blind"]))
        np.savez_compressed(REFERENCE, **data)
        print({k: v.shape for k, v in data.items()}, REFERENCE.stat().st_size)
