"""The repository ships code and final artefacts only: no run state, no large file outside a preset.

Every file committed to main is carried by every future clone; resume folders rewritten by each training
session made the clone 195 MB (issue 29). Training state belongs under the ignored `runs/`.
"""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LARGE_FILE_BYTES = 5 * 1024 * 1024
SAVED_MODELS_BYTES = 35 * 1024 * 1024


def tracked_files() -> list[Path]:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def is_declared_preset_weight(path: Path) -> bool:
    """`saved_models/<family>/<name>/model.keras` next to the preset's metadata.json."""
    relative = path.relative_to(ROOT)
    return (len(relative.parts) == 4 and relative.parts[0] == "saved_models" and relative.name == "model.keras"
            and (path.parent / "metadata.json").is_file())


def test_no_file_over_5_mb_outside_a_declared_preset():
    large = [str(p.relative_to(ROOT)) for p in tracked_files()
             if p.is_file() and not p.is_symlink() and p.stat().st_size > LARGE_FILE_BYTES
             and not is_declared_preset_weight(p)]
    assert not large, f"files over 5 MB outside a preset (give the reason in the commit, or move to runs/): {large}"


def test_no_run_state_in_the_shipped_presets():
    state = [str(p.relative_to(ROOT)) for p in tracked_files()
             if p.parts[len(ROOT.parts)] == "saved_models" and "resume" in p.relative_to(ROOT).parts]
    assert not state, f"resume state under saved_models/ (it belongs under runs/): {state[:5]}"


def test_saved_models_stay_small():
    total = sum(p.stat().st_size for p in tracked_files()
                if p.relative_to(ROOT).parts[0] == "saved_models" and p.is_file())
    assert 0 < total <= SAVED_MODELS_BYTES, f"saved_models/ holds {total / 2**20:.1f} MB (bound 35 MB)"


def test_configs_keep_run_state_out_of_the_presets():
    from tfdeblur import families

    for path in sorted((ROOT / "configs").glob("*.yaml")):
        config = families.load_config(path)
        folder = config.resume_dir()
        assert folder is None or "saved_models" not in folder.parts, path.name


def test_a_resume_dir_inside_saved_models_is_refused():
    from tfdeblur import families
    from tfdeblur.errors import InputError

    config = families.load_config(ROOT / "configs" / "idc_camera.yaml",
                                  ["trainer.resume_dir=saved_models/idc/{name}/resume"])
    with pytest.raises(InputError, match="saved_models"):
        config.resume_dir()
