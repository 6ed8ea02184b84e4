"""argparse `type=` validators for the CLI's numeric options.

A meaningless number (a negative noise level, JPEG quality 200, a 0x0 TFLite size) is refused while the
command line is parsed, as a one-line usage error (exit 2), before anything is read or written.
"""

from __future__ import annotations

import argparse
import math


def _number(text: str, cast, kind: str):
    try:
        value = cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind}, got '{text}'") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got '{text}'")
    return value


def int_range(low: int | None = None, high: int | None = None):
    """An integer within [low, high] (either bound may be None)."""

    def parse(text: str) -> int:
        value = _number(text, int, "a whole number")
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(_range_message(value, low, high))
        return value

    parse.__name__ = "integer"  # argparse names the type in its own messages
    return parse


def float_range(low: float | None = None, high: float | None = None, low_open: bool = False):
    """A finite float within [low, high] ((low, high] with `low_open`)."""

    def parse(text: str) -> float:
        value = _number(text, float, "a number")
        below = low is not None and (value <= low if low_open else value < low)
        if below or (high is not None and value > high):
            raise argparse.ArgumentTypeError(_range_message(value, low, high, low_open))
        return value

    parse.__name__ = "number"
    return parse


def _range_message(value, low, high, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f"must be between {low} and {high}, got {value}"
    if low is not None:
        return f"must be {'>' if low_open else '>='} {low}, got {value}"
    return f"must be <= {high}, got {value}"


positive_int = int_range(1)
non_negative_int = int_range(0)
positive_float = float_range(0.0, low_open=True)
non_negative_float = float_range(0.0)
jpeg_quality = int_range(1, 100)
# --saturate multiplies before clipping: below 1 it darkens instead of saturating.
saturation_gain = float_range(1.0)



def kernel_size_or_auto(text: str) -> int | tuple[int, int] | str:
    """'auto', a positive whole number N (an NxN kernel) or HxW (e.g. 15x9, an H-row, W-column kernel).

    The methods check what they need of the sizes (odd, >= 3, within the image), so the parser does not.
    """
    text = text.strip().lower()
    if text == "auto":
        return "auto"
    try:
        sizes = [int(part) for part in text.split("x")]
    except ValueError:
        sizes = []
    if not 1 <= len(sizes) <= 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"must be auto, N or HxW (whole numbers, e.g. 15 or 15x9), got '{text}'")
    return sizes[0] if len(sizes) == 1 else (sizes[0], sizes[1])


kernel_size_or_auto.__name__ = "kernel size"

MAX_TFLITE_SIDE = 8192


def image_size(text: str) -> tuple[int, int]:
    """'HxW' with positive whole numbers, e.g. '256x256'."""
    parts = text.lower().split("x")
    try:
        height, width = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must look like 256x256 (HEIGHTxWIDTH), got '{text}'") from None
    if not (0 < height <= MAX_TFLITE_SIDE and 0 < width <= MAX_TFLITE_SIDE):
        raise argparse.ArgumentTypeError(f"sides must be between 1 and {MAX_TFLITE_SIDE}, got '{text}'")
    return height, width


image_size.__name__ = "size"
