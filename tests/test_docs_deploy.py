"""DEPLOYMENT.md's files, checked with the real tools when this machine has them.

The configs are read from the docs and rendered with temporary paths: the checkout
becomes sample_project, /srv/mysite/static its collected static files, and the sockets
live in a short temporary directory. nginx, systemd-analyze and systemd-socket-activate
are optional: a test skips, saying which tool is missing, when its tool is not installed.
"""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs_support import (
    SAMPLE_DIR,
    Block,
    blocks,
    file_block,
    free_port,
    get,
    poll_get,
    poll_ok,
    process_group,
    render,
    run,
    sample_env,
)
from tests.server import GUNICORN

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None)
SOCKET_UNIT = "/etc/systemd/system/mysite.socket"
SERVICE_UNIT = "/etc/systemd/system/mysite.service"
NO_CONTROL = "--no-control-socket"


@pytest.fixture
def tmp() -> Iterator[Path]:
    """A short temporary directory: unix socket paths must stay under 108 bytes."""
    path = Path(tempfile.mkdtemp(prefix="ahdocs"))
    (path / "run").mkdir()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def rendered(text: str, tmp: Path, port: int = 8080) -> str:
    return render(text, {
        "/srv/mysite/venv/bin/gunicorn": GUNICORN,
        "/srv/mysite/gunicorn.conf.py": str(tmp / "gunicorn.conf.py"),
        "/srv/mysite/src": str(SAMPLE_DIR),
        "/srv/mysite/static": str(tmp / "staticfiles"),
        "/srv/mysite/run": str(tmp / "run"),
        "/run/mysite": str(tmp / "run"),
        "mysite.wsgi": "sample_project.wsgi",
        "mysite.settings": "sample_project.settings",
        "listen 80;": f"listen 127.0.0.1:{port};",
    })


def write_gunicorn_conf(tmp: Path) -> None:
    conf = file_block("/srv/mysite/gunicorn.conf.py", "python")
    (tmp / "gunicorn.conf.py").write_text(rendered(conf.text, tmp))


def nginx_main(tmp: Path, site: str) -> Path:
    """A main nginx.conf around one site config, with every path inside `tmp`."""
    (tmp / "site.conf").write_text(site)
    temp_paths = "\n".join(f"    {kind}_temp_path {tmp}/nginx-{kind};"
                           for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = tmp / "nginx.conf"
    main.write_text(f"""{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/nginx-access.log;
{temp_paths}
    types {{ text/css css; text/html html; application/javascript js; }}
    include {tmp}/site.conf;
}}
""")
    return main


def nginx_args(tmp: Path, main: Path) -> list[str]:
    assert NGINX is not None
    return [NGINX, "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(main)]


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
@pytest.mark.parametrize("block", blocks("nginx"), ids=lambda b: b.where)
def test_nginx_configs_pass_nginx_t(block: Block, tmp: Path) -> None:
    main = nginx_main(tmp, rendered(block.text, tmp, free_port()))
    result = subprocess.run([*nginx_args(tmp, main), "-t"], capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def _units(tmp: Path) -> tuple[Path, Path]:
    paths = []
    for name in (SOCKET_UNIT, SERVICE_UNIT):
        path = tmp / Path(name).name
        path.write_text(rendered(file_block(name, "ini").text, tmp))
        paths.append(path)
    return paths[0], paths[1]


def _ini(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, inline_comment_prefixes=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp: Path) -> None:
    """The socket and service units load without an unknown key or a bad path."""
    socket_unit, service_unit = _units(tmp)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(socket_unit),
                             str(service_unit)], capture_output=True, text=True, timeout=60,
                            check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and str(tmp) not in output, output
    service = _ini(service_unit.read_text())["Service"]
    assert service["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    assert service["KillMode"] == "mixed"


@pytest.mark.skipif(shutil.which("systemd-socket-activate") is None,
                    reason="systemd-socket-activate is not installed")
def test_service_serves_through_socket_activation(tmp: Path) -> None:
    """The service's ExecStart, in a clean environment, serves the socket systemd passes it."""
    socket_unit, service_unit = _units(tmp)
    write_gunicorn_conf(tmp)
    env = sample_env(tmp)
    run([sys.executable, "manage.py", "migrate", "--noinput"], env)
    listen = _ini(socket_unit.read_text())["Socket"]["ListenStream"]
    service = _ini(service_unit.read_text())["Service"]
    setenv = [service["Environment"]] + [f"{k}={env[k]}" for k in (
        "SAMPLE_PROJECT_DB", "SAMPLE_PROJECT_STATIC_ROOT", "DJANGO_DEBUG")]
    args = ["systemd-socket-activate", "-l", listen,
            *[arg for pair in setenv for arg in ("-E", pair)],
            *shlex.split(service["ExecStart"]), NO_CONTROL]
    log = tmp / "service.log"
    with process_group(args, env, log, cwd=Path(service["WorkingDirectory"])) as proc:
        status, _, body = poll_get(listen, "/async/", proc=proc, log=log)
        assert status == 200 and b'"view": "async"' in body, body
    output = log.read_text()
    assert "Using worker: async_handler.worker.AiohttpWorker" in output, output
    assert "Traceback" not in output, output


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_in_front_of_supervisor_command(tmp: Path) -> None:
    """supervisor's gunicorn command on a unix socket, behind DEPLOYMENT.md's nginx site."""
    program = _ini(file_block("/etc/supervisor/conf.d/mysite.conf", "ini").text)["program:mysite"]
    write_gunicorn_conf(tmp)
    env = sample_env(tmp)
    run([sys.executable, "manage.py", "migrate", "--noinput"], env)
    run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    port = free_port()
    site = rendered(file_block("/etc/nginx/sites-available/mysite", "nginx").text, tmp, port)
    main = nginx_main(tmp, site)
    gunicorn_args = [*shlex.split(rendered(program["command"], tmp)), NO_CONTROL]
    directory = Path(rendered(program["directory"], tmp))
    glog, nlog = tmp / "gunicorn.log", tmp / "nginx.log"
    with process_group(gunicorn_args, env, glog, cwd=directory) as gunicorn, \
            process_group(nginx_args(tmp, main), env, nlog, cwd=tmp) as nginx:
        poll_ok(port, "/slow/?ms=0", {gunicorn: glog, nginx: nlog})
        status, _, body = get(port, "/async/")
        assert status == 200 and b'"view": "async"' in body, glog.read_text()
        status, headers, css = get(port, "/static/demo/site.css")
        assert status == 200 and b"--accent" in css
        assert headers.get("Server", "").startswith("nginx")
    access = glog.read_text()
    assert '127.0.0.1 "GET /async/ HTTP/1.0" 200' in access, access  # X-Forwarded-For, format
    assert "/static/" not in access, "nginx should serve static files itself:\n" + access
