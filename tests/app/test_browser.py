"""End to end: `tfdeblur app` served as a user starts it, driven in a real browser (Chromium, Playwright).

Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`; Playwright's own browser
download is not used) and the `playwright` package; marked `browser` (run with `make test-all` or
`pytest -m browser`). The server runs with its HTTP proxies pointed at a closed local port and the browser
refuses every address but the app's, so both prove the page needs no network.
"""

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tfdeblur import io, metrics, physics

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT = 180  # s: TensorFlow and Gradio imports on a loaded 2-core machine
CROP = (slice(16, -16), slice(16, -16))



def _require(found: bool, reason: str) -> None:
    """Skip without the browser or packages; in CI (TFDEBLUR_REQUIRE_BROWSER=1, set by .ci/run) fail instead."""
    if not found:
        if os.environ.get("TFDEBLUR_REQUIRE_BROWSER"):
            pytest.fail(reason + "; TFDEBLUR_REQUIRE_BROWSER is set", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


_require(CHROMIUM.exists(), "no browser: /usr/bin/chromium is missing (apt-get install -y chromium)")
_require(importlib.util.find_spec("playwright") is not None, "playwright is missing (pip install playwright)")
_require(importlib.util.find_spec("gradio") is not None, "gradio is missing (pip install 'tfdeblur[app]')")
from playwright import sync_api  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unblock_stop_signals():
    # A CI runner may start us with signals blocked, a mask every child inherits: the SIGTERM below must arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


@pytest.fixture(scope="module")
def server():
    """`python -m tfdeblur app --port N`; yields its URL; stopped with SIGTERM, its folder must be gone."""
    port = free_port()
    env = dict(os.environ, HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9",
               NO_PROXY="127.0.0.1,localhost", TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen([sys.executable, "-m", "tfdeblur", "app", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=unblock_stop_signals)
    lines: list[str] = []
    ready = threading.Event()

    def read():
        for line in process.stdout:
            lines.append(line)
            if line.startswith("tfdeblur app: http"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(START_TIMEOUT):
        process.kill()
        pytest.fail("the app did not start:\n" + "".join(lines[-30:]))
    match = re.search(r"(http://\S+) \(uploads and results in (\S+);", lines[-1])
    url, workdir = match.group(1), Path(match.group(2))
    assert workdir.is_dir()
    yield url
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, "".join(lines[-30:])
    assert not workdir.exists(), "the uploads and results outlived the app"
    output = "".join(lines)
    start = output.find("Traceback")  # the whole traceback, not pytest's truncated repr of the output
    assert start < 0, "the app printed a traceback:\n" + output[max(0, start - 500):start + 8000]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, server):
    """New pages on the app (each its own session); every request elsewhere is refused and recorded."""
    contexts, outside = [], []

    def route(request_route):
        url = request_route.request.url
        if url.startswith((server, "data:", "blob:")):
            return request_route.continue_()
        outside.append(url)
        return request_route.abort()

    def open_():
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.route("**/*", route)
        page.goto(server)
        page.wait_for_selector("#deblur")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not outside, f"the page asked for addresses outside the app: {outside[:5]}"


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """The bundled photo, blurred by motion 9 px at 30 deg with a little noise."""
    from tfdeblur.tasks.demo import demo_image

    folder = tmp_path_factory.mktemp("scene")
    sharp = demo_image()
    io.write_image(folder / "blurry.png", physics.degrade(sharp, physics.motion_kernel(9, 30), noise_sigma=0.005,
                                                          seed=0))
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return folder, sharp


def upload(page, path: Path):
    page.locator("#photo input[type=file]").set_input_files(str(path))


def choose(page, method: str, kernel: str):
    page.locator("#method input").click()
    page.get_by_role("option", name=method, exact=True).click()
    page.locator("#kernel-spec textarea").fill(kernel)


def test_deblur_a_photo_and_download_the_result(open_page, scene, tmp_path):
    """The default method, as a user would: drop the photo, press Deblur, watch the stages, download."""
    folder, sharp = scene
    page = open_page()
    upload(page, folder / "blurry.png")
    page.get_by_text("blurry.png: 256x256 px, RGB, 8-bit PNG").wait_for(timeout=60_000)
    assert page.locator("#preview img").count() == 1
    # blind's options (kernel size, finish) show; wiener's regularisation weight does not
    assert page.locator("#kernel-size").is_visible() and page.locator("#finish").is_visible()
    assert not page.locator("#reg").is_visible()
    page.click("#deblur")
    page.locator("#comparison").get_by_text(re.compile("kernel|deblurring")).first.wait_for(timeout=60_000)
    link = page.locator("#result-file a").first
    link.wait_for(timeout=300_000)
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "result.png"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "result-blind.png"
    restored, blurry = io.read_image(saved), io.read_image(folder / "blurry.png")
    gain = metrics.psnr(restored[CROP], sharp[CROP]) - metrics.psnr(blurry[CROP], sharp[CROP])
    assert gain > 3.0, f"PSNR gain {gain:.2f} dB"
    assert page.locator("#summary textarea").input_value().startswith("uniform blur, kernel")
    assert float(page.locator("#seconds input").input_value()) > 0
    assert page.locator("#kernel-view img").count() == 1
    assert page.locator("#comparison img").count() == 2  # before and after on the slider
    assert page.locator("#kernel-files a").count() == 2  # kernel.npy and kernel.png
    page.screenshot(path=str(tmp_path / "result-page.png"))


def test_a_corrupt_file_shows_one_line_and_no_traceback(open_page, scene):
    folder, _ = scene
    page = open_page()
    upload(page, folder / "corrupt.png")
    message = "cannot decode corrupt.png: not a PNG, JPEG, TIFF or BMP image, or the file is corrupt"
    toast = page.get_by_text(message)
    toast.wait_for(timeout=60_000)
    assert toast.inner_text().strip() == message  # one line, named as the user knows the file
    page.click("#deblur")  # running it anyway says the same
    page.wait_for_function("t => document.body.innerText.split(t).length > 2", arg=message, timeout=60_000)
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "/tmp" not in text and "tfdeblur-app-" not in text


def test_three_jobs_at_once_all_come_back_in_order(open_page, scene):
    """Three pages press Deblur together: one job runs at a time, the others show their queue position,
    and every page gets its own result, in the order they asked."""
    folder, _ = scene
    kernels = ["motion:9,30", "motion:9,60", "motion:9,120"]
    pages = [open_page() for _ in kernels]
    for page, kernel in zip(pages, kernels):
        upload(page, folder / "blurry.png")
        page.get_by_text("256x256 px").wait_for(timeout=60_000)
        choose(page, "ircnet", kernel)
    for page in pages:
        page.click("#deblur")
    pages[2].get_by_text(re.compile(r"queue: [12]/\d")).first.wait_for(timeout=60_000)
    finished = {}
    deadline = time.monotonic() + 600
    while len(finished) < len(pages) and time.monotonic() < deadline:
        for index, page in enumerate(pages):
            if index not in finished and page.locator("#result-file a").count():
                finished[index] = time.monotonic()
        pages[0].wait_for_timeout(200)
    assert sorted(finished) == [0, 1, 2], "a job was lost"
    assert sorted(finished, key=finished.get) == [0, 1, 2], "the jobs did not finish in the order asked"
    for page, kernel in zip(pages, kernels):
        assert page.locator("#summary textarea").input_value().endswith(f"({kernel})")  # its own job
        assert np.isfinite(float(page.locator("#seconds input").input_value()))


def test_a_blur_path_drawn_on_the_canvas_is_the_kernel(open_page, scene):
    folder, _ = scene
    page = open_page()
    upload(page, folder / "blurry.png")
    page.get_by_text("256x256 px").wait_for(timeout=60_000)
    choose(page, "wiener", "")
    page.locator("#reg").wait_for(state="visible", timeout=10_000)  # the options follow the method
    page.locator("#kernel-size").wait_for(state="hidden", timeout=10_000)
    assert not page.locator("#finish").is_visible()
    page.get_by_text("or draw the blur path").click()
    brush = page.locator("#kernel-drawing").get_by_role("button", name="Brush", exact=True)
    brush.wait_for()
    page.wait_for_timeout(1000)  # the editor sets its canvas up after it shows
    if "highlight" not in (brush.get_attribute("class") or ""):  # the brush is the tool already, on a blank canvas
        brush.click()
    page.get_by_text("select the draw tool to start").wait_for(state="hidden", timeout=10_000)
    canvas = page.locator("#kernel-drawing canvas").first
    canvas.scroll_into_view_if_needed()  # the mouse draws only inside the viewport
    page.wait_for_timeout(500)
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.55
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):  # a stroke of ~20 % of the editor's width, to the right
        page.mouse.move(x + step * box["width"] * 0.02, y)
    page.mouse.up()
    page.wait_for_timeout(500)
    page.click("#deblur")
    try:
        page.wait_for_function("() => document.querySelector('#summary textarea').value.endsWith('(drawn)')",
                               timeout=60_000)
    except sync_api.TimeoutError:
        pytest.fail("no result from the drawn kernel; the page says: " + " | ".join(
            page.locator(".toast-body").all_inner_texts()))
    summary = page.locator("#summary textarea").input_value()
    height, width = map(int, re.search(r"kernel (\d+)x(\d+)", summary).groups())
    assert height <= 5 and width >= 7, summary  # a horizontal path
    assert page.locator("#kernel-view img").count() == 1


def test_the_client_api_takes_the_options_as_the_cli_does(server, scene, tmp_path, monkeypatch, capsys):
    """The documented call (photo, method, spec, kernel file) as it was, then `reg` by name: the result is
    `tfdeblur deblur --reg`'s PNG byte for byte, and a bad value is the CLI's one-line message."""
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    from tfdeblur.cli import main

    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")  # the client's own telemetry, off
    folder, _ = scene
    client = Client(server, analytics_enabled=False, verbose=False)
    photo = handle_file(str(folder / "blurry.png"))
    plain = client.predict(photo, "wiener", "motion:9,30", None, api_name="/deblur")[0]
    with_reg = client.predict(photo, "wiener", "motion:9,30", None, reg="0.02", api_name="/deblur")[0]
    assert main(["deblur", str(folder / "blurry.png"), "-o", str(tmp_path / "cli.png"), "--method", "wiener",
                 "--kernel", "motion:9,30", "--reg", "0.02"]) == 0
    assert Path(with_reg).read_bytes() == (tmp_path / "cli.png").read_bytes()
    assert Path(plain).read_bytes() != Path(with_reg).read_bytes()
    # (the page shows errors as HTML, so the client may get ">" escaped)
    with pytest.raises(AppError, match=r"^regularisation weight \(--reg\): must be (>|&gt;) 0.0, got -1.0$"):
        client.predict(photo, "wiener", "motion:9,30", None, reg="-1", api_name="/deblur")
