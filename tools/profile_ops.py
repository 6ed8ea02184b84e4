"""Summarise a `tf.profiler` trace: time per TensorFlow op type and per name group, per step.

Reads the `.xplane.pb` that `tf.profiler.experimental.start(logdir)` / `stop()` writes (no TensorBoard
plugin needed). Op events are the ones the executor names "scope/name:OpType" on its compute threads;
their durations are summed, so ops that ran concurrently on the two inter-op threads both count.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

# Executor bookkeeping that shares the compute threads with the ops.
_NOT_OPS = re.compile(r"^(ThreadpoolListener|ExecutorState|ParallelFor|EagerExecute|Kernel)")


def op_events(logdir):
    """(name, op_type, seconds) of every TF op the trace recorded on the host's compute threads."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    files = sorted(Path(logdir).glob("plugins/profile/*/*.xplane.pb"))
    if not files:
        raise FileNotFoundError(f"no .xplane.pb under {logdir}")
    space = xplane_pb2.XSpace()
    space.ParseFromString(files[-1].read_bytes())
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                label = plane.event_metadata[event.metadata_id].name
                if ":" not in label or _NOT_OPS.match(label):
                    continue
                name, op_type = label.rsplit(":", 1)
                yield name, op_type, event.duration_ps * 1e-12


def summarise(logdir, steps: int, group=None, top: int = 15) -> dict:
    """Milliseconds per step by op type (the `top` largest) and, with `group(name, type)`, by group."""
    by_type, by_group = collections.Counter(), collections.Counter()
    for name, op_type, seconds in op_events(logdir):
        by_type[op_type] += seconds
        if group is not None:
            by_group[group(name, op_type)] += seconds
    total = sum(by_type.values())

    def table(counter, limit=None):
        return [dict(name=key, ms_per_step=round(1e3 * value / steps, 1),
                     percent=round(100 * value / total, 1)) for key, value in counter.most_common(limit)]

    out = dict(steps=steps, op_ms_per_step=round(1e3 * total / steps, 1), top_op_types=table(by_type, top))
    if group is not None:
        out["by_group"] = table(by_group)
    return out
