"""Two local workers train one model with `trainer.strategy: multi_worker_mirrored` (TF_CONFIG, 127.0.0.1)."""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tfdeblur import io

TIMEOUT = 300  # seconds for the whole two-worker run; a hung collective must not hang the suite
DIE_CODE = 3  # the exit code of a worker killed by the test's injected fault (`Die` in WORKER)

# Each worker runs the real `tfdeblur train` entry point and keeps the model it returns for the test.
WORKER = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)  # two workers share the test machine's cores
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    from tfdeblur import cli
    from tfdeblur.training import fitting, run

    class Die(keras.callbacks.Callback):  # dies, without cleaning up, after epoch TFDEBLUR_TEST_DIE_AFTER
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 == int(os.environ.get("TFDEBLUR_TEST_DIE_AFTER", 0)):
                os._exit(3)  # DIE_CODE

    # Patched where `fit` looks it up (`tfdeblur.training.fitting`; `run.make_callbacks` is only a re-export).
    callbacks_fn = fitting.make_callbacks
    fitting.make_callbacks = lambda *args, **kwargs: callbacks_fn(*args, **kwargs) + [Die()]
    trained = []
    train_fn = run.train
    run.train = lambda config: trained.append(train_fn(config)) or trained[-1]
    code = cli.main(["train", sys.argv[1]])
    if code == 0:
        np.savez(sys.argv[2] + ".npz", *trained[0].get_weights())
        with open(sys.argv[2] + ".json", "w") as handle:
            json.dump(trained[0].history.history, handle)
    sys.exit(code)
""")

CONFIG = """
name: two_workers
family: idc
data:
  source: synthetic
  train_dir: {photos}
  val_dir: {photos}
  patch_size: 32
  batch_size: 8         # global: 4 per worker
  channels: 1
  kernels: [motion]
  kernel_size: 7
  motion_length: [5, 7]
  kernel_bank: 16
  noise_sigma: [0.0, 0.0]
  val_count: 8
  shuffle_buffer: 4
model: {{channels: [4, 8, 8], texture_channels: 4, fusion_channels: 4, kernel_size: 3, num_res_blocks: 1,
        multi_scale: false, texture: false, output_initializer: glorot_uniform}}
loss: {{ssim_weight: 0.0, gradient_weight: 0.0}}  # plain L2: a steady signal over a few steps
trainer:
  epochs: 3
  steps_per_epoch: 6
  learning_rate: 1.0e-2
  final_learning_rate: 1.0e-2
  schedule: constant
  strategy: multi_worker_mirrored
  output_dir: {runs}/{{name}}
  jit_compile: "false"
"""


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_workers(tmp_path, config, tag, extra_env=({}, {})):
    """Two worker processes on free 127.0.0.1 ports; returns them (logs in tmp_path/<tag>-worker<i>.log)."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = []
    for index in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TMPDIR=str(tmp_path / "tmp"), **extra_env[index],
                   TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        with open(tmp_path / f"{tag}-worker{index}.log", "w") as log:
            workers.append(subprocess.Popen([sys.executable, str(tmp_path / "worker.py"), str(config),
                                             str(tmp_path / f"{tag}-w{index}")],
                                            env=env, stdout=log, stderr=subprocess.STDOUT))
    return workers


def finish(workers, tmp_path, tag, timeout=TIMEOUT):
    """Wait for the workers (killing any still running at the deadline) and return their exit codes."""
    deadline = time.monotonic() + timeout
    try:
        return [worker.wait(timeout=max(deadline - time.monotonic(), 1)) for worker in workers]
    except subprocess.TimeoutExpired:
        logs = [(tmp_path / f"{tag}-worker{i}.log").read_text()[-2000:] for i in range(2)]
        pytest.fail(f"workers did not finish in {timeout} s: {logs}")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


@pytest.fixture
def experiment(tmp_path, photo):
    """The photos, the YAML config and the worker script of a two-worker run."""
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(4):  # four 128 px quarters of the bundled photo
        rows, cols = slice((i // 2) * 128, (i // 2 + 1) * 128), slice((i % 2) * 128, (i % 2 + 1) * 128)
        io.write_image(photos / f"q{i}.png", photo[rows, cols])
    config = tmp_path / "two_workers.yaml"
    config.write_text(CONFIG.format(photos=photos, runs=tmp_path / "runs"))
    (tmp_path / "worker.py").write_text(WORKER)
    (tmp_path / "tmp").mkdir()
    return config


def results(tmp_path, tag):
    weights = [np.load(tmp_path / f"{tag}-w{i}.npz") for i in range(2)]
    assert len(weights[0].files) == len(weights[1].files) > 0
    for name in weights[0].files:
        np.testing.assert_array_equal(weights[0][name], weights[1][name])
    history = json.loads((tmp_path / f"{tag}-w0.json").read_text())
    assert history == json.loads((tmp_path / f"{tag}-w1.json").read_text())  # logs are reduced across workers
    return history


@pytest.mark.slow  # ~24 s: two worker processes train end to end
def test_two_workers_train_the_same_weights_and_only_the_chief_writes(tmp_path, experiment):
    codes = finish(start_workers(tmp_path, experiment, "run"), tmp_path, "run")
    assert codes == [0, 0], [(tmp_path / f"run-worker{i}.log").read_text()[-3000:] for i in range(2)]
    history = results(tmp_path, "run")
    assert history["val_loss"][-1] < history["val_loss"][0]  # the same validation patches every epoch

    run = tmp_path / "runs" / "two_workers"
    assert (run / "model.keras").is_file() and (run / "config.yaml").is_file()
    assert (run / "checkpoints" / "train.keras").is_file()
    assert not (run / "backup" / "train").exists()  # removed by the chief once training completed
    for kind in ("train", "validation", "images"):  # one event file: the chief's, not one per worker
        assert len(list((run / "logs" / "train" / kind).glob("events.out.tfevents.*"))) == 1, kind
    assert not list((tmp_path / "tmp").iterdir())  # the other worker's scratch folder is gone


@pytest.mark.slow
def test_after_a_worker_dies_the_restarted_job_resumes_from_the_backup(tmp_path, experiment):
    workers = start_workers(tmp_path, experiment, "killed", ({}, {"TFDEBLUR_TEST_DIE_AFTER": "2"}))
    metadata = tmp_path / "runs" / "two_workers" / "backup" / "train" / "training_metadata.json"
    # Worker 1 dies after epoch 2. The chief stops either way TensorFlow notices, whichever comes first:
    # its next all-reduce fails (UnavailableError, exit 1 through the CLI), or the coordination service
    # misses the dead worker's heartbeats and ends the chief's process from C++ (exit 1, no Python output).
    codes = finish(workers, tmp_path, "killed")
    logs = [(tmp_path / f"killed-worker{i}.log").read_text() for i in range(2)]
    # First the fault itself: without it the restart below would prove nothing (it once ran a whole job).
    assert codes[1] == DIE_CODE, ("the injected worker death did not happen", codes, logs[1][-3000:])
    assert codes[0] == 1, ("the chief did not stop", codes, logs[0][-3000:])
    assert "Traceback" not in logs[0], logs[0][-3000:]
    assert json.loads(metadata.read_text())["epoch"] == 2  # its last backup: the end of epoch 2
    assert not (tmp_path / "runs" / "two_workers" / "model.keras").exists()  # the job did not finish

    codes = finish(start_workers(tmp_path, experiment, "restarted"), tmp_path, "restarted")
    assert codes == [0, 0], [(tmp_path / f"restarted-worker{i}.log").read_text()[-3000:] for i in range(2)]
    history = results(tmp_path, "restarted")
    assert len(history["loss"]) == 1  # epochs 1-2 were restored on both workers; only epoch 3 ran
    assert (tmp_path / "runs" / "two_workers" / "model.keras").is_file()
    assert not metadata.exists()
