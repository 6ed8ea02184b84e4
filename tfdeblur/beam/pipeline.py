"""The `tfdeblur batch` pipeline: read -> RunInference -> write, with a dead-letter list.

    Create((input, output)) -> Reshuffle -> ReadPhoto -> RunInference(KeyedModelHandler) -> WritePhoto
                                              | failed        | failed batches               | failed
                                              +---------------+------------------------------+-> _failed.jsonl

Keys are (input path, output path) pairs, so every stage knows where a photo came from and goes. Every
failure is caught per photo and ends in `<out>/_failed.jsonl` (one JSON object per line: path, reason);
it never stops the other photos. Paths must be visible to every worker (local runs, or a shared mount).
"""

from __future__ import annotations

import glob
import json
import os
import time
from pathlib import Path
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics, MetricsFilter
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference
from apache_beam.options.pipeline_options import PipelineOptions

from tfdeblur import io
from tfdeblur.beam.model_handler import DeblurModelHandler, Failure, Photo, one_line
from tfdeblur.beam.paths import plan
from tfdeblur.errors import DISK_FULL_ERRNOS, InputError

FAILED_LIST = "_failed.jsonl"
FAILED = "failed"
NAMESPACE = "tfdeblur"
# The first write of this worker that failed for want of room (a full disk, a quota, a file-size limit):
# the photos after it are not even read, as their writes would fail too. Cleared by each `run_batch`.
_DISK_FULL: list[OSError] = []


def _note_disk_full(err: OSError) -> None:
    if not _DISK_FULL:
        _DISK_FULL.append(err)
    Metrics.counter(NAMESPACE, f"disk_full_{err.errno}").inc()


class ReadPhoto(beam.DoFn):
    """(input, output) -> ((input, output), Photo); unreadable or too small photos go to FAILED."""

    def __init__(self, min_size, max_pixels=io.DEFAULT_MAX_PIXELS):
        self.min_size = min_size
        self.max_pixels = max_pixels

    def process(self, key):
        if _DISK_FULL:
            yield beam.pvalue.TaggedOutput(FAILED, (key[0], f"not tried: {one_line(_DISK_FULL[0])}"))
            return
        try:
            image, depth = io.read_image(key[0], return_bit_depth=True, max_pixels=self.max_pixels)
            image = io.validate_image(image, name=key[0], min_size=self.min_size)
        except Exception as err:
            yield beam.pvalue.TaggedOutput(FAILED, (key[0], one_line(err)))
            return
        yield key, Photo(image, depth)


class WritePhoto(beam.DoFn):
    """((input, output), PredictionResult) -> output written atomically; failures go to FAILED."""

    def setup(self):
        self.written = Metrics.counter(NAMESPACE, "deblurred")

    def process(self, keyed):
        (source, target), result = keyed
        if isinstance(result.inference, Failure):
            yield beam.pvalue.TaggedOutput(FAILED, (source, result.inference.reason))
            return
        try:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            io.write_image(target, result.inference, bit_depth=result.example.bit_depth)
        except Exception as err:
            if isinstance(err, OSError) and err.errno in DISK_FULL_ERRNOS:
                _note_disk_full(err)  # the disk, not the photo: `run_batch` reports it as the run's error
            yield beam.pvalue.TaggedOutput(FAILED, (source, one_line(err)))
            return
        self.written.inc()
        yield target


def _failed_batch(item):
    """RunInference's dead letters are (batch, exception): one entry per photo of the batch."""
    batch, err = item[0], item[1]
    reason = one_line(err) if isinstance(err, BaseException) else str(err)
    return [(key[0], reason) for key, _ in batch]


def _write_failed_list(entries, path):
    lines = [json.dumps({"path": source, "reason": reason}) for source, reason in sorted(entries)]
    try:
        io.write_text(path, "".join(line + "\n" for line in lines))
    except OSError as err:
        if err.errno not in DISK_FULL_ERRNOS:
            raise
        _note_disk_full(err)


def build(pipeline, pairs, handler: DeblurModelHandler, min_size, failed_path: str,
          max_pixels: int | None = io.DEFAULT_MAX_PIXELS):
    """Add the batch deblurring steps for `pairs` of (input, output) paths to `pipeline`."""
    read = (pipeline
            | "Inputs" >> beam.Create(pairs)
            | "Spread" >> beam.Reshuffle()  # Create is one bundle; this lets every worker take photos
            | "Read" >> beam.ParDo(ReadPhoto(min_size, max_pixels)).with_outputs(FAILED, main="photos"))
    deblur = RunInference(KeyedModelHandler(handler)).with_exception_handling()
    inferred, dead = read.photos | "Deblur" >> deblur
    written = inferred | "Write" >> beam.ParDo(WritePhoto()).with_outputs(FAILED, main="written")
    failed_batches = dead.failed_inferences | "PerPhoto" >> beam.FlatMap(_failed_batch)
    _ = ((read[FAILED], written[FAILED], failed_batches)
         | "Failures" >> beam.Flatten()
         | "Collect" >> beam.combiners.ToList()
         | "DeadLetters" >> beam.Map(_write_failed_list, failed_path))
    return written.written


def _counter(result, name: str) -> int | None:
    """A counter's value, committed if the runner reports it, else attempted; None if unsupported."""
    try:
        found = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE).with_name(name))["counters"]
    except Exception:  # some runners report no metrics
        return None
    values = [c.committed if c.committed is not None else c.attempted for c in found]
    return int(sum(values)) if values else 0


def _remove_stale_temporaries(todo) -> None:
    """Remove what an earlier run killed mid-write left beside the outputs still to do: the temporary
    files of `io.write_bytes_atomic` (`.<name>.<random>.tmp`), never renamed into place."""
    for _, target in todo:
        target = Path(target)
        if target.parent.is_dir():
            for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
                stale.unlink(missing_ok=True)


def _refuse_disk_full(result, out: Path, todo, deblurred, failed_path: str) -> None:
    """A run whose writes failed for want of room ends as one error, not as photos that "failed"."""
    full = [code for code in sorted(DISK_FULL_ERRNOS) if _counter(result, f"disk_full_{code}")]
    if not full:
        return
    missing = len(todo) - (deblurred or 0)
    listed = f", listed in {failed_path}" if Path(failed_path).exists() else ""
    raise InputError(f"cannot write to {out}: {os.strerror(full[0])}; {missing} of {len(todo)} photo(s) not "
                     f"written{listed}; rerun when there is room (the photos written are skipped)")


def _nearest_existing(folder: Path) -> Path:
    """`folder`, or its closest existing parent (where `make_folder` will create it)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def run_batch(pattern: str, output_dir, method: str, kernel: np.ndarray | None = None,
              options: dict[str, Any] | None = None, pipeline_args: list[str] | None = None,
              share_model: bool = False, max_pixels: int | None = io.DEFAULT_MAX_PIXELS,
              min_size: tuple[int, int] | None = None) -> dict[str, Any]:
    """Deblur every image matching `pattern` into `output_dir`; returns a summary (counts, seconds).

    Inputs whose output exists are skipped (a rerun resumes); the dead-letter list is rewritten each run.
    Photos smaller than `min_size` (default: the kernel's size) go to the dead-letter list.
    """
    start = time.perf_counter()
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"-o {out} is a file; batch writes a folder")
    work = plan(pattern, out)  # refuses a glob matching nothing before the folder is made
    io.check_writable_folder(_nearest_existing(out))
    failed_path = str(out / FAILED_LIST)
    summary = {"matched": len(work.todo) + len(work.done), "skipped_done": len(work.done),
               "ignored": len(work.ignored), "deblurred": 0, "failed": 0, "failed_list": failed_path}
    handler = DeblurModelHandler(method, kernel, options, share_model=share_model)
    if work.todo:
        handler.check()  # an unknown preset or option fails here, before the folder exists
    io.make_folder(out)
    _remove_stale_temporaries(work.todo)
    if work.todo:
        if min_size is None and kernel is not None:
            min_size = tuple(int(s) for s in np.shape(kernel))
        pipeline = beam.Pipeline(options=PipelineOptions(pipeline_args or []))
        build(pipeline, work.todo, handler, min_size, failed_path, max_pixels)
        _DISK_FULL.clear()
        result = pipeline.run()
        result.wait_until_finish()
        summary["deblurred"] = _counter(result, "deblurred")
        _refuse_disk_full(result, out, work.todo, summary["deblurred"], failed_path)
    else:
        _write_failed_list([], failed_path)  # nothing left to fail: clear an older list
    summary["failed"] = len(Path(failed_path).read_text().splitlines())
    summary["seconds"] = round(time.perf_counter() - start, 3)
    return summary
