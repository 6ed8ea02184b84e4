"""Checks the CLI makes before any work: outputs that would destroy inputs, name clashes, option support.

Kept apart from `cli.commands` (wiring only) so each check is small and testable on its own. Everything here
raises `InputError` (one line, exit 2) or prints a one-line warning; nothing reads pixels or writes files
except `OutputFolder`, which creates the output folder and removes it again if the run wrote nothing.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from tfdeblur import interrupts
from tfdeblur.errors import InputError

# Which methods take an option (read from their function signatures; tests/test_cli_robustness.py checks
# this table against them so the help text cannot go stale).
OPTION_METHODS = {
    "tile": ("blind", "idc", "ircnet", "odcnn"),
    "reg": ("ircnet", "wiener"),
    "iterations": ("ircnet", "selfdeblur"),
    "model": ("idc", "ircnet", "odcnn"),
    "seed": ("selfdeblur",),
    "schedule": ("selfdeblur",),
    "checkpoint_dir": ("selfdeblur",),
    "regions": ("blind",),
    "linear_light": ("blind",),
}


def methods_taking(option: str) -> list[str]:
    """Registered methods whose function has a parameter named `option` (imports every method)."""
    from tfdeblur import methods

    return [name for name in methods.available()
            if option in inspect.signature(methods.load(methods.get(name))).parameters]


def check_method_options(spec, options: dict) -> None:
    """Refuse options the method does not take, naming the methods that do."""
    from tfdeblur import methods

    taken = inspect.signature(methods.load(spec)).parameters
    for option in options:
        if option not in taken:
            flag = "--" + option.replace("_", "-")
            others = ", ".join(methods_taking(option)) or "none"
            raise InputError(f"method '{spec.name}' does not take {flag} (methods that do: {others})")


def min_image_size(spec, kernel) -> tuple[tuple[int, int], str] | None:
    """The smallest (height, width) the method takes, and why; None when any size it can hold will do.

    Non-blind methods need the kernel's size. Blind ircnet mirrors the photo (and its motion field) by half
    its motion bank's kernel size on every side, and a mirror must be shorter than the side it reflects.
    """
    if kernel is not None:
        return tuple(int(s) for s in kernel.shape), "the blur kernel's size"
    if spec.name == "ircnet":
        from tfdeblur.physics.nonuniform import MotionBank

        size = MotionBank().size  # the shipped ircnet/blind's bank (35 px motions)
        side = size // 2 + 1
        return (side, side), f"blind ircnet mirrors {size // 2} px at each border for its {size} px motions"
    return None


def check_image_size(path, header, need) -> None:
    """Refuse an image (from its header) smaller than `min_image_size`, before anything runs (HxW, as
    `io.validate_image` says it)."""
    if need is None:
        return
    (min_h, min_w), why = need
    if header.height < min_h or header.width < min_w:
        raise InputError(f"{path} is {header.height}x{header.width}, smaller than the required "
                         f"{min_h}x{min_w} ({why})")


def plan_outputs(inputs: list[str], output: str) -> tuple[list[Path], Path | None]:
    """Output file of every input, and the folder to create (None if it exists or is not needed).

    One input: `output` is a file, or an existing folder (the result keeps the input's name). Several
    inputs: `output` is a folder and each result keeps its input's name. Refused before anything runs:
    an output that is one of the inputs (same path or same file through a hard link), and two inputs
    with the same file name (the second result would replace the first).
    """
    from tfdeblur.io import IMAGE_EXTENSIONS, check_output_path, check_writable_folder, same_file

    out = Path(output)
    folder = None
    if len(inputs) == 1 and not out.is_dir():
        outputs = [check_output_path(out)]
    else:
        if out.exists() and not out.is_dir():
            raise InputError(f"with several inputs, -o must be a folder: {out}")
        if not out.exists():
            if not out.parent.is_dir() and str(out.parent):
                raise InputError(f"cannot create output folder {out}: {out.parent} does not exist")
            check_writable_folder(out.parent)
            folder = out
        else:
            check_writable_folder(out)
        outputs = [out / Path(name).name for name in inputs]
        for target in outputs:  # (the folder itself is created once every check has passed)
            if target.suffix.lower() not in IMAGE_EXTENSIONS:
                raise InputError(f"cannot write {target}: extension must be one of {', '.join(IMAGE_EXTENSIONS)}")
    seen: dict[str, str] = {}
    for name, target in zip(inputs, outputs):
        if target.name in seen:
            raise InputError(f"{seen[target.name]} and {name} would both be written to {target}; "
                             "give inputs with different file names or run them separately")
        seen[target.name] = name
    for target in outputs:
        for name in inputs:
            if same_file(name, target):
                raise InputError(f"output {target} is the input {name}; refusing to replace it "
                                 "(choose another -o)")
    return outputs, folder


def refuse_overwriting_inputs(inputs, *outputs, labels: dict | None = None) -> None:
    """Refuse any output (e.g. --save-kernel) that names an input or another output.

    `labels` may describe an output in the message (e.g. the .npy written beside a --save-kernel PNG).
    """
    from tfdeblur.io import same_file

    inputs = list(inputs)
    outputs = [Path(o) for o in outputs if o]
    for i, target in enumerate(outputs):
        for name in inputs + outputs[:i]:
            if same_file(name, target):
                what = (labels or {}).get(target, str(target))
                whose = "the input " if name in inputs else ""
                raise InputError(f"{what} would replace {whose}{name}; choose another file name")


def kernel_inputs(kernel: str | None) -> list[str]:
    """The file `--kernel` reads (none for a spec such as motion:15,30), to keep outputs off it."""
    from tfdeblur.physics.kernels import is_kernel_spec

    return [] if not kernel or is_kernel_spec(kernel) else [kernel]


def save_kernel_files(save_kernel: str | None) -> dict[Path, str]:
    """The files `--save-kernel K` writes, each with how to name it in messages: K, and K.npy beside an
    image K (the exact values)."""
    if not save_kernel:
        return {}
    files = {Path(save_kernel): f"--save-kernel {save_kernel}"}
    files.setdefault(Path(save_kernel).with_suffix(".npy"),
                     f"{Path(save_kernel).with_suffix('.npy')} (the exact kernel written beside {save_kernel})")
    return files


def check_checkpoint_dir(folder) -> None:
    """Refuse a --checkpoint-dir whose saved state cannot be resumed (a damaged state.json or weights
    file, a SelfDeblur checkpoint of the older format), before any work, rather than failing inside the
    run. The folder is a resume folder (`tfdeblur.training.resume`), which does the checks."""
    from tfdeblur.training import resume

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--checkpoint-dir {folder} is a file, not a folder")
    resume.check_folder(folder, f"delete {folder} (or give another --checkpoint-dir) to start the run over")


class OutputFolder:
    """Create an output folder on entry; on exit remove it again if the run left it empty."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._unregister = None

    def __enter__(self):
        if self.folder is not None:
            self.folder.mkdir()
            self._unregister = interrupts.on_stop(self._remove_if_empty)  # a Ctrl-C that unwinds nothing
        return self

    def __exit__(self, *exc):
        if self._unregister is not None:
            self._unregister()
        self._remove_if_empty()
        return False

    def _remove_if_empty(self):
        if self.folder is not None and self.folder.is_dir() and not any(self.folder.iterdir()):
            self.folder.rmdir()
