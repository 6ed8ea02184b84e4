"""Screenshots of `tfdeblur app` for the docs (docs/screenshots/app-*.png): empty, running, result, compare.

Starts the app on a free port, drives it in headless Chromium (Debian's /usr/bin/chromium, Playwright) with
the bundled photo blurred by motion 9 px at 30 deg: the default (blind) method, then wiener with the true
kernel for the Compare tab. The PNGs are reduced to 256 colours to stay small. Prints JSON (files, sizes).

    flock /tmp/tfdeblur-cpu.lock .venv/bin/python tools/screenshot_app.py --out docs/screenshots
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def start_app() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "tfdeblur", "app", "--port", str(port)], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    ready = threading.Event()
    url = []

    def read():
        for line in process.stdout:
            found = re.match(r"tfdeblur app: (http\S+)", line)
            if found:
                url.append(found.group(1))
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(300):
        process.kill()
        raise SystemExit("the app did not start")
    return process, url[0]


def small_png(page, path: Path, **kwargs) -> None:
    from PIL import Image

    page.screenshot(path=str(path), **kwargs)
    Image.open(path).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from tfdeblur import io, physics
    from tfdeblur.tasks.demo import demo_image

    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp())
    photo = work / "blurry-photo.png"
    io.write_image(photo, physics.degrade(demo_image(), physics.motion_kernel(9, 30), noise_sigma=0.005, seed=0))
    process, url = start_app()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 860})
            page.goto(url)
            page.wait_for_selector("#deblur")
            small_png(page, args.out / "app-empty.png")
            page.locator("#photo input[type=file]").set_input_files(str(photo))
            page.get_by_text("256x256 px").wait_for()
            page.click("#deblur")
            page.locator("#comparison").get_by_text(re.compile("kernel")).first.wait_for(timeout=120_000)
            small_png(page, args.out / "app-running.png")
            page.locator("#result-file a").first.wait_for(timeout=600_000)
            page.wait_for_timeout(1000)
            small_png(page, args.out / "app-result.png", full_page=True)
            page.locator("#method input").click()
            page.get_by_role("option", name="wiener", exact=True).click()
            page.locator("#kernel-spec textarea").fill("motion:9,30")
            page.click("#deblur")
            page.wait_for_function("() => document.querySelector('#summary textarea').value.startsWith('wiener')",
                                   timeout=120_000)
            page.get_by_role("tab", name="Compare").click()
            page.wait_for_timeout(1500)
            small_png(page, args.out / "app-compare.png", full_page=True)
            browser.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    files = sorted(args.out.glob("app-*.png"))
    print(json.dumps({str(f): f.stat().st_size for f in files}, indent=1))


if __name__ == "__main__":
    main()
