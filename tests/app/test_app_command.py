"""`tfdeblur app`: its help, and the one-line error when the `[app]` extra is missing."""

import sys

import pytest

from tfdeblur.cli import main


def test_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["app", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--host" in out and "--port" in out and "--max-pixels" in out


def test_without_gradio_the_command_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "gradio", None)  # `import gradio` raises ImportError
    assert main(["app", "--port", "7999"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "install tfdeblur[app]" in err and err.startswith("tfdeblur: error:")


def test_a_taken_port_is_a_one_line_error(capsys):
    pytest.importorskip("gradio", reason="gradio is missing (pip install 'tfdeblur[app]')")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert main(["app", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot serve on 127.0.0.1:{port}" in err and "Traceback" not in err


def test_the_client_api_keeps_its_parameters_and_takes_the_options_last(tmp_path):
    """The documented call (photo, method, spec, kernel file) keeps working: new inputs go last, with defaults."""
    pytest.importorskip("gradio", reason="gradio is missing (pip install 'tfdeblur[app]')")
    from tfdeblur.app import page

    parameters = page.build_page(tmp_path).get_api_info()["named_endpoints"]["/deblur"]["parameters"]
    names = [p["parameter_name"] for p in parameters]
    assert names == ["photo", "method", "kernel_spec", "kernel_file", "drawing", "kernel_size", "nonblind", "reg"]
    assert all(p["parameter_has_default"] for p in parameters[4:])
    assert [p["parameter_default"] for p in parameters[5:]] == [None, "irc", None]


def test_a_client_gone_mid_request_is_not_logged_as_an_app_error():
    """A tab closed during an upload: Gradio lets Starlette's ClientDisconnect escape to uvicorn, which would
    print a traceback; the app's filter drops that record and keeps every other error."""
    import logging

    pytest.importorskip("gradio", reason="gradio is missing (pip install 'tfdeblur[app]')")
    from starlette.requests import ClientDisconnect

    from tfdeblur.app import page

    def record(error):
        return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application\n",
                                 None, (type(error), error, None))

    client_gone = page.ClientGoneFilter()
    assert not client_gone.filter(record(ClientDisconnect()))
    assert client_gone.filter(record(RuntimeError("a real failure")))
    assert client_gone.filter(logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "no exception",
                                                None, None))
