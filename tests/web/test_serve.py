"""`vaekit serve`: loopback by default, a loud warning otherwise, one-line user errors."""

from __future__ import annotations

import socket
import sys

import pytest
import uvicorn
from starlette.middleware.trustedhost import TrustedHostMiddleware

from vaekit.cli import main


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(monkeypatch):
    """Replace uvicorn.run: record what would be served instead of serving it."""
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    return calls


def _trusts_hosts(app) -> bool:
    return any(m.cls is TrustedHostMiddleware for m in app.user_middleware)


def test_default_binds_loopback_only(digits_run, served, capsys):
    port = free_port()
    assert main(["serve", str(digits_run), "--port", str(port)]) == 0
    (app, kw), = served
    assert kw["host"] == "127.0.0.1" and kw["port"] == port and _trusts_hosts(app)
    out, err = capsys.readouterr()
    assert f"http://127.0.0.1:{port}/" in out and "WARNING" not in err


def test_other_host_warns_loudly(digits_run, served, capsys):
    assert main(["serve", str(digits_run), "--host", "0.0.0.0", "--port", str(free_port())]) == 0
    (app, kw), = served
    assert kw["host"] == "0.0.0.0" and not _trusts_hosts(app)
    assert "WARNING: binding 0.0.0.0" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--port", "0"], ["--port", "70000"], ["--workers", "0"],
                                  ["--host", "no.such.host.invalid"]])
def test_bad_flags_are_user_errors(digits_run, served, capsys, argv):
    assert main(["serve", str(digits_run), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vaekit: error:") and err.count("\n") == 1 and not served


def test_port_in_use_and_bad_run_are_user_errors(digits_run, tmp_path, served, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", str(digits_run), "--port", str(port)]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err
    assert main(["serve", str(tmp_path / "missing"), "--port", str(free_port())]) == 2
    assert "run directory not found" in capsys.readouterr().err and not served


def test_missing_web_extra_says_what_to_install(digits_run, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ImportError
    assert main(["serve", str(digits_run)]) == 2
    assert "pip install 'vaekit[web]'" in capsys.readouterr().err


def test_serve_is_listed_in_help(capsys):
    assert main(["--help"]) == 0
    assert "serve" in capsys.readouterr().out
