"""The command line's methods give the same outputs as before the start-up work of issue 32.

`data/cold_start_reference.npz` holds fixed inputs and the outputs the code gave on them before it was
changed (commit 35449fd, written by running this file: `python tests/test_cold_start_outputs.py`). Every
change made to start faster (compiled functions traced once, eager runs of small images, imports) must
keep them, to float tolerance.
"""

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
def test_outputs_are_unchanged(reference, name):
    found = outputs(reference, [name])
    for key, value in found.items():
        np.testing.assert_allclose(value, reference[key], atol=TOLERANCE, rtol=0, err_msg=key)


if __name__ == "__main__":
    data = make_inputs()
    data.update(outputs(data, ["wiener", "ircnet", "ircnet_rgb", "idc", "blind"]))
    np.savez_compressed(REFERENCE, **data)
    print({k: v.shape for k, v in data.items()}, REFERENCE.stat().st_size)
