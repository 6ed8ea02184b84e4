"""Start-up time of `tfdeblur app` to a usable page; prints JSON.

Each run starts `python -m tfdeblur app --port N` as a new process (as a user does) and polls
`GET http://127.0.0.1:N/` every 50 ms: `seconds_to_http_200` is the time from starting the process to the
first HTTP 200 of the page, `seconds_to_ready_line` to the line the app prints with its URL. The app is
then stopped with SIGTERM (`seconds_to_stop`) and its temporary folder must be gone. The report says what
else was running (load average and the busiest other processes), as the numbers depend on it.

    flock /tmp/tfdeblur-cpu.lock .venv/bin/python tools/bench_app.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def what_else_runs(own: int, count: int = 5) -> dict:
    """Load average and the busiest processes other than this one (a note for the report)."""
    ps = subprocess.run(["ps", "-eo", "pid,pcpu,etimes,args", "--sort=-pcpu", "--no-headers"], capture_output=True,
                        text=True).stdout.splitlines()
    busy = []
    for line in ps:
        pid, pcpu, elapsed, args = line.split(None, 3)
        if int(pid) in (own, os.getpid()) or float(pcpu) < 5:
            continue
        busy.append({"pcpu": float(pcpu), "running_s": int(elapsed), "command": args[:100]})
    return {"loadavg": os.getloadavg(), "busy_processes": busy[:count]}


def start_once(timeout: float) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "tfdeblur", "app", "--port", str(port)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    ready: dict = {}

    def read():
        for line in process.stdout:
            if "seconds" not in ready and line.startswith("tfdeblur app: http"):
                ready["seconds"] = time.perf_counter() - start
                found = re.search(r"uploads and results in (\S+);", line)
                ready["workdir"] = found.group(1) if found else None

    threading.Thread(target=read, daemon=True).start()
    http_200 = None
    while time.perf_counter() - start < timeout and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200 and b"gradio" in response.read().lower():
                    http_200 = time.perf_counter() - start
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    note = what_else_runs(process.pid)
    stop = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    code = process.wait(60)
    stopped = time.perf_counter() - stop
    workdir = ready.get("workdir")
    return {"seconds_to_http_200": http_200, "seconds_to_ready_line": ready.get("seconds"),
            "seconds_to_stop": round(stopped, 2), "exit_code": code,
            "workdir_removed": bool(workdir) and not Path(workdir).exists(), "while_running": note}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    runs = [start_once(args.timeout) for _ in range(args.repeats)]
    times = [r["seconds_to_http_200"] for r in runs if r["seconds_to_http_200"] is not None]
    from importlib.metadata import version

    print(json.dumps({
        "what": "tfdeblur app: process start to HTTP 200 on the page (python -m tfdeblur app --port N)",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "gradio": version("gradio"),
                    "tensorflow": version("tensorflow")},
        "median_seconds_to_http_200": round(statistics.median(times), 2) if times else None,
        "min_seconds_to_http_200": round(min(times), 2) if times else None,
        "runs": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()} for r in runs],
    }, indent=1))


if __name__ == "__main__":
    main()
