"""The Gradio page of `tfdeblur app` and the server loop around it.

One `gr.Blocks` page: a photo drop zone with its preview and size, the method (the registry, default
`blind`), a kernel spec or kernel file for non-blind methods, the few options that matter (only those the
method takes: kernel size and finish for blind, the regularisation weight for wiener), Deblur and Cancel
buttons; results as a before/after slider, the kernel, the seconds, the method's one-line summary and the
files to download; a Compare tab keeps every result on the photo (the last two side by side on a slider).
The work itself is `tfdeblur.app.jobs` (plain Python); this module only turns it into components, progress
and one-line errors.

The queue runs one job at a time (`default_concurrency_limit=1`), showing each waiting page its position.
The `/deblur` endpoint is also Gradio's client API:
`Client(url).predict(handle_file("blurry.png"), "wiener", "motion:15,30", None, api_name="/deblur")`; the
options are its last parameters (`kernel_size`, `nonblind`, `reg`), with defaults.
"""

from __future__ import annotations

import html
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from tfdeblur import io, methods
from tfdeblur.app import import_gradio, jobs
from tfdeblur.errors import InputError

gr = import_gradio()  # this module is the app: importing it without the extra is the one-line error

TITLE = "tfdeblur"
INTRO = ("Deblur a photo on this computer: drop it below, pick a method and press **Deblur**. "
         "`blind` (the default) estimates the blur itself; the non-blind methods need the blur kernel. "
         "Nothing leaves this machine, and the files are deleted when the app stops.")

BLANK_CANVAS = {"background": np.full((256, 256), 255, np.uint8), "layers": [], "composite": None}
CSS = "#kernel-view img { image-rendering: pixelated; }"  # the kernel's pixels stay square when scaled


def _error(message: str):
    """A one-line error for the page (Gradio shows it as HTML: the text is escaped)."""
    return gr.Error(html.escape(" ".join(str(message).split()), quote=False), print_exception=False)


def _method_note(method: str) -> str:
    spec = methods.get(method)
    needs = jobs.kernel_needs(method)
    kernel = {"required": "needs the blur kernel", "optional": "takes a kernel, or runs blind without one",
              "ignored": "estimates the blur itself"}[needs]
    return f"**{method}** ({kernel}): {spec.description}"


def build_page(workdir: Path, max_pixels: int | None = io.DEFAULT_MAX_PIXELS, runner: jobs.JobRunner | None = None):
    """The page as a `gr.Blocks` (queued, one job at a time); uploads and results live under `workdir`."""
    workspace = jobs.Workspace(Path(workdir) / "jobs")
    runner = runner or jobs.JobRunner()
    names = methods.available()
    offered = {name: jobs.method_options(name) for name in names}  # the options each method takes
    default = offered[methods.DEFAULT_METHOD]

    def show_photo(photo):
        """Preview and size of a new photo; a new photo starts a new comparison."""
        empty = (None, "", [], None, [])
        if not photo:
            return empty
        try:
            info = jobs.inspect_photo(photo, workspace.new_folder(), name=Path(photo).name, max_pixels=max_pixels)
        except InputError as err:
            raise _error(err) from None
        return str(info.preview), info.describe(Path(photo).name), [], None, []

    def show_options(taken):
        """The option row and each option: shown if the method takes it, else hidden and back to its default
        (a value typed for one method never reaches another)."""
        def show(name, blank):
            return gr.update(visible=True) if name in taken else gr.update(visible=False, value=blank)

        return (gr.update(visible=bool(taken)), show("kernel_size", ""), show("nonblind", jobs.FINISHES[0]),
                show("reg", ""))

    def choose_method(method):
        needs = jobs.kernel_needs(method) if method in methods.REGISTRY else "ignored"
        label = "Kernel spec" + (" (optional: without one, ircnet runs blind)" if needs == "optional" else "")
        visible = needs != "ignored"
        return (_method_note(method) if method in methods.REGISTRY else "", gr.update(visible=visible),
                gr.update(label=label, value="") if not visible else gr.update(label=label),
                gr.update(value=None) if not visible else gr.skip(),
                gr.update(value=None) if not visible else gr.skip(),
                *show_options(offered.get(method, ())))

    # The options' None defaults make them optional parameters of the client API (a blank Textbox gives it
    # no default of its own); None is "not given", as blank is.
    def deblur(photo, method, kernel_spec, kernel_file, drawing, history, kernel_size=None, nonblind=None, reg=None,
               request: gr.Request = None, progress=gr.Progress(track_tqdm=True)):
        if not photo:
            raise _error("drop a photo first")
        drawn = drawing.get("composite") if isinstance(drawing, dict) else drawing
        # The finish always has a value (irc, the default): it goes only to the methods that take it, so a
        # client call naming another method needs no finish. The text options go as typed: given to a method
        # that does not take them, they are the CLI's error.
        nonblind = nonblind if "nonblind" in offered.get(method, ()) else None
        try:
            result = jobs.run_job(photo, method, kernel_spec, kernel_file, kernel_drawing=drawn,
                                  kernel_size=kernel_size, nonblind=nonblind, reg=reg,
                                  workspace=workspace, name=Path(photo).name, max_pixels=max_pixels,
                                  progress=lambda fraction, stage: progress(fraction, desc=stage),
                                  runner=runner, key=getattr(request, "session_hash", None) or "")
        except InputError as err:
            raise _error(err) from None
        except jobs.JobCancelled:  # the Cancel button: nothing changes on the page
            gr.Info("cancelled")
            return tuple(gr.skip() for _ in range(9))
        except MemoryError:
            raise _error("out of memory: try a smaller photo (crop or downscale it)") from None
        except Exception as err:  # a bug, not bad input: one line on the page, the traceback on the console
            import traceback

            traceback.print_exc(file=sys.stderr)
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise _error(f"internal error: {type(err).__name__}: {first}") from None
        history = list(history or []) + [result]
        previous = history[-2] if len(history) > 1 else None
        kernel_files = [str(p) for p in (result.kernel_npy, result.kernel_png) if p is not None]
        summary = result.summary + "".join(f"; warning: {w}" for w in result.warnings)
        gallery = [(str(history[0].before), "photo")] + [(str(r.result), r.label) for r in history]
        compare = (str(previous.result), str(result.result)) if previous else None
        return (str(result.result), kernel_files or None, round(result.seconds, 2), summary,
                (str(result.before), str(result.result)),
                str(result.kernel_view) if result.kernel_view else None,
                compare, gallery, history)

    def stop(request: gr.Request):
        runner.cancel(getattr(request, "session_hash", None) or "")

    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 86400)) as page:
        gr.Markdown(f"# {TITLE}: deblur a photo\n{INTRO}")
        with gr.Row():
            with gr.Column(scale=2, min_width=300):
                photo = gr.File(label="Photo (PNG, JPEG, TIFF, BMP; 8 or 16 bit)", file_types=list(io.IMAGE_EXTENSIONS),
                                type="filepath", elem_id="photo", height=120)
                preview = gr.Image(label="Preview", type="filepath", interactive=False, height=260,
                                   elem_id="preview", buttons=[])
                photo_info = gr.Markdown(elem_id="photo-info")
                method = gr.Dropdown(choices=names, value=methods.DEFAULT_METHOD, label="Method", elem_id="method")
                method_note = gr.Markdown(_method_note(methods.DEFAULT_METHOD), elem_id="method-note")
                with gr.Group(visible=jobs.kernel_needs(methods.DEFAULT_METHOD) != "ignored") as kernel_box:
                    kernel_spec = gr.Textbox(label="Kernel spec", placeholder="motion:15,30",
                                             info=jobs.KERNEL_SPECS, elem_id="kernel-spec")
                    kernel_file = gr.File(label="or a kernel file (.npy exact; an image is normalised)",
                                          file_types=list(jobs.KERNEL_FILE_EXTENSIONS), type="filepath",
                                          elem_id="kernel-file", height=100)
                    with gr.Accordion("or draw the blur path (the canvas is 32x32 kernel pixels)", open=False):
                        # A blank canvas as its value: the client API's `drawing` parameter is then optional.
                        drawing = gr.Sketchpad(BLANK_CANVAS, type="numpy", image_mode="L", canvas_size=(256, 256),
                                               fixed_canvas=True, layers=False, transforms=(),
                                               brush=gr.Brush(colors=["#000000"], color_mode="fixed",
                                                              default_size=6),
                                               label="Blur path", elem_id="kernel-drawing")
                with gr.Row(visible=bool(default), elem_id="options") as options_row:
                    kernel_size = gr.Textbox(label="Kernel size", placeholder="auto", max_lines=1,
                                             info="auto (searched, then trimmed to the blur found), odd N or "
                                                  "HxW such as 15x9", visible="kernel_size" in default,
                                             elem_id="kernel-size")
                    nonblind = gr.Radio(list(jobs.FINISHES), value=jobs.FINISHES[0], label="Finish",
                                        info="the non-blind solver run with the estimated kernel",
                                        visible="nonblind" in default, elem_id="finish")
                    reg = gr.Textbox(label="Regularisation weight", placeholder="from the noise level", max_lines=1,
                                     info="> 0: larger is smoother, smaller is sharper but noisier",
                                     visible="reg" in default, elem_id="reg")
                with gr.Row():
                    run = gr.Button("Deblur", variant="primary", elem_id="deblur")
                    cancel = gr.Button("Cancel", variant="stop", elem_id="cancel")
            with gr.Column(scale=3, min_width=400):
                with gr.Tabs():
                    with gr.Tab("Result", id="result"):
                        slider = gr.ImageSlider(label="Before / after (drag the bar)", type="filepath",
                                                elem_id="comparison", max_height=520)
                        with gr.Row():
                            kernel_view = gr.Image(label="Kernel (scaled to its max)", type="filepath",
                                                   interactive=False, height=200, elem_id="kernel-view")
                            with gr.Column():
                                seconds = gr.Number(label="Seconds", interactive=False, elem_id="seconds")
                                summary = gr.Textbox(label="Summary", interactive=False, elem_id="summary")
                        with gr.Row():
                            result_file = gr.File(label="Result PNG", interactive=False, elem_id="result-file")
                            kernel_files = gr.File(label="Kernel (.npy, .png)", file_count="multiple",
                                                   interactive=False, elem_id="kernel-files")
                    with gr.Tab("Compare", id="compare"):
                        compare = gr.ImageSlider(label="Previous result / this result", type="filepath",
                                                 elem_id="compare", max_height=520)
                        gallery = gr.Gallery(label="Every result on this photo", columns=3, height=300,
                                             elem_id="gallery")
        history = gr.State([])

        photo.change(show_photo, [photo], [preview, photo_info, history, compare, gallery],
                     api_visibility="private")
        method.change(choose_method, [method], [method_note, kernel_box, kernel_spec, kernel_file, drawing,
                                                options_row, kernel_size, nonblind, reg], api_visibility="private")
        # New inputs go last, with defaults: the client API's earlier parameters keep their places.
        job = run.click(deblur, [photo, method, kernel_spec, kernel_file, drawing, history, kernel_size, nonblind, reg],
                        [result_file, kernel_files, seconds, summary, slider, kernel_view, compare, gallery, history],
                        api_name="deblur", show_progress_on=[slider])
        cancel.click(stop, None, None, cancels=[job], queue=False, api_visibility="private")
    return page.queue(default_concurrency_limit=1)


class ClientGoneFilter(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" for a browser that went away mid-request (a tab
    closed during an upload): Gradio's upload route lets Starlette's `ClientDisconnect` escape, and the
    traceback would say the app failed when only the client left. Every other error is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        from starlette.requests import ClientDisconnect  # Gradio's web stack

        return not (record.exc_info and isinstance(record.exc_info[1], ClientDisconnect))


def serve(host: str = "127.0.0.1", port: int | None = None, max_pixels: int | None = io.DEFAULT_MAX_PIXELS) -> int:
    """Serve the page until Ctrl+C or SIGTERM; every upload and result is deleted when it stops."""
    with tempfile.TemporaryDirectory(prefix="tfdeblur-app-") as workdir:
        # Gradio keeps uploads and the files it serves in GRADIO_TEMP_DIR: inside the folder removed at exit.
        gradio_temp = os.environ.get("GRADIO_TEMP_DIR")
        os.environ["GRADIO_TEMP_DIR"] = str(Path(workdir) / "gradio")
        os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
        page = build_page(Path(workdir), max_pixels=max_pixels)
        stopped = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stopped.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        client_gone = ClientGoneFilter()
        logging.getLogger("uvicorn.error").addFilter(client_gone)
        try:
            try:
                _, url, _ = page.launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True,
                                        share=False, inbrowser=False, show_error=True, ssr_mode=False,
                                        run_history=False, footer_links=["api"], css=CSS,
                                        max_file_size=io.max_image_file_bytes(max_pixels))
            except OSError as err:  # the port is taken, or the host is not an address of this machine
                raise InputError(f"cannot serve on {host}:{port or 'auto'}: {err}") from None
            print(f"tfdeblur app: {url} (uploads and results in {workdir}; Ctrl+C stops the app and deletes "
                  "them)", flush=True)
            while not stopped.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            page.close()
            logging.getLogger("uvicorn.error").removeFilter(client_gone)
            if gradio_temp is None:
                os.environ.pop("GRADIO_TEMP_DIR", None)
            else:
                os.environ["GRADIO_TEMP_DIR"] = gradio_temp
    print("tfdeblur app: stopped", flush=True)
    return 0
