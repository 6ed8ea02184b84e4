"""An installed wheel works outside the source tree: presets, dataset builders and the demo.

The wheel is built from a copy of the checkout (so the build leaves nothing behind) and installed without
dependencies into a fresh venv; the venv borrows the running interpreter's installed dependencies through a
`.pth` file (offline and fast), but tfdeblur itself comes only from the wheel.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _source_copy(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "runs",
                                    "demo_out", "tests", "tools", "dummy_data")
    shutil.copytree(ROOT, target, symlinks=True, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    source = _source_copy(tmp / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp / "dist").glob("tfdeblur-*.whl")
    env_dir = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=120)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # Dependencies (TensorFlow, ...) from this interpreter; added after the venv's own site-packages.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TFDEBLUR_MODELS")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env_dir, env, tmp


def _run(venv, *args, timeout=300):
    env_dir, env, tmp = venv
    work = tmp / "elsewhere"
    work.mkdir(exist_ok=True)
    return subprocess.run([str(env_dir / "bin" / args[0]), *args[1:]], cwd=work, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_tfdeblur_comes_from_the_wheel_with_its_presets_and_builders(venv):
    env_dir = venv[0]
    code = ("import json, tfdeblur; from tfdeblur import presets; from tfdeblur.data import levin, photos; "
            "print(json.dumps([tfdeblur.__file__, presets.available('idc'), presets.available('odcnn'), "
            "str(levin.BUILDER_FILE), str(photos.BUILDER_FILE)]))")
    proc = _run(venv, "python", "-c", code)
    assert proc.returncode == 0, proc.stderr
    module, idc, odcnn, levin_file, bsds_file = json.loads(proc.stdout)
    for path in (module, levin_file, bsds_file):
        assert Path(path).resolve().is_relative_to(env_dir.resolve()), path
        assert Path(path).exists(), path
    assert idc == ["camera", "small"] and odcnn == ["disk7", "motion15"]


@pytest.mark.slow  # ~42 s: the demo runs every method from the installed wheel
def test_demo_and_idc_run_from_another_folder(venv):
    proc = _run(venv, "tfdeblur", "demo", "-o", "demo")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert {"wiener", "idc", "ircnet", "odcnn"} <= set(report["methods"])
    out = venv[2] / "elsewhere"
    proc = _run(venv, "tfdeblur", "deblur", str(out / "demo" / "blurry.png"), "-o", "idc.png", "--method", "idc")
    assert proc.returncode == 0, proc.stderr
    assert (out / "idc.png").is_file()


def test_the_wheel_holds_presets_but_no_run_state_and_stays_small(venv):
    import zipfile

    (wheel,) = (venv[2] / "dist").glob("tfdeblur-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("saved_models/idc/camera/model.keras") for n in names)
    assert not [n for n in names if "/resume/" in n or n.endswith(".weights.h5")]
    assert wheel.stat().st_size <= 40 * 2**20, f"wheel is {wheel.stat().st_size / 2**20:.1f} MB (bound 40 MB)"


def test_the_wheel_holds_every_subpackage_and_the_old_paths(venv):
    """`packages = find:` picks up new subpackages (`training`, `tasks`, ...); the deprecated aliases of the
    modules moved out of the package top ship too, and the subpackages import from the wheel."""
    import zipfile

    (wheel,) = (venv[2] / "dist").glob("tfdeblur-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(path.parent.relative_to(ROOT).as_posix() for path in (ROOT / "tfdeblur").rglob("__init__.py")
                      if not {"datasets", "saved_models"} & set(path.relative_to(ROOT).parts))
    assert {"tfdeblur/training", "tfdeblur/tasks"} <= set(packages)
    assert not [p for p in packages if f"{p}/__init__.py" not in names], "packages missing from the wheel"
    assert {"tfdeblur/train.py", "tfdeblur/fitting.py", "tfdeblur/export.py"} <= names
    proc = _run(venv, "python", "-c", "import tfdeblur.training, tfdeblur.tasks; print(tfdeblur.tasks.__file__)")
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).resolve().is_relative_to(venv[0].resolve())
