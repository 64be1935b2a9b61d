"""Every command the docs show is run by a test here or mapped to what exercises it.

The docs are README.md, DEPLOYMENT.md, MIGRATING.md and CHANNELS.md. COVERAGE names each
shell command they show: "run" commands are read from the docs and run by the test named
(adapted only as noted: mysite becomes sample_project, ports and paths become temporary
ones); "make" commands map to a Makefile target; "host" commands change a real server, and
the test named checks the files they act on. A command that is in the docs but not in
COVERAGE fails, and so does a COVERAGE entry the docs no longer show.
"""

from __future__ import annotations

import ast
import asyncio
import configparser
import importlib
import re
import shlex
import shutil
import signal
import sys
from pathlib import Path

import pytest

from async_handler import conf
from tests.asgi.servers import BIND, ASGIServer, server_name
from tests.docs_support import (
    DOCS,
    ROOT,
    SAMPLE_DIR,
    Block,
    blocks,
    doc_command,
    file_block,
    get,
    poll_get,
    process_group,
    python_command,
    run,
    sample_env,
    shell_commands,
    wait_for,
)
from tests.server import Gunicorn, gunicorn_supports_control_socket
from tests.test_sample_project import chat_across_workers

HERE, DEPLOY = "tests/test_docs.py", "tests/test_docs_deploy.py"
QUICKSTART = "gunicorn mysite.wsgi -k async_handler.worker.AiohttpWorker -w 4 --bind 127.0.0.1:8000"
ASGI_COMMANDS = [
    "uvicorn mysite.asgi:application --workers 4 --lifespan on",
    "gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker -w 4",
    "gunicorn mysite.asgi:application -k asgi -w 4",
    "granian --interface asgi --workers 4 mysite.asgi:application",
    "hypercorn mysite.asgi:application --workers 4",
    "daphne mysite.asgi:application",
]
COVERAGE: dict[str, tuple[str, str]] = {
    **{c: ("run", f"{HERE}::test_asgi_server_commands") for c in ASGI_COMMANDS},
    "make run": ("run", f"{HERE}::test_make_run_serves_the_sample_project"),
    QUICKSTART: ("run", f"{HERE}::test_quickstart_gunicorn_command"),
    "python manage.py check": ("run", f"{HERE}::test_manage_py_commands"),
    "python manage.py check --deploy": ("run", f"{HERE}::test_manage_py_commands"),
    "python manage.py collectstatic --noinput": ("run", f"{HERE}::test_manage_py_commands"),
    "python manage.py runserver": ("run", f"{HERE}::test_runserver_command"),
    "sudo nginx -t": ("run", f"{DEPLOY}::test_nginx_configs_pass_nginx_t"),
    "make test": ("make", "test"),  # .ci/run runs it on every submission (checked below)
    "make bench": ("make", "bench"),  # a benchmark, run by hand
    # make's venv step installs this checkout with pip, as these lines do.
    "pip install /path/to/async_handler": ("make", "venv"),
    "pip install /path/to/async_handler[uvloop,drf]": ("make", "venv"),
    "sudo systemctl daemon-reload": ("host", f"{DEPLOY}::test_systemd_units_verify"),
    "sudo systemctl enable --now mysite.socket":
        ("host", f"{DEPLOY}::test_service_serves_through_socket_activation"),
    "sudo systemctl reload mysite.service": ("host", f"{DEPLOY}::test_systemd_units_verify"),
    "sudo ln -s /etc/nginx/sites-available/mysite /etc/nginx/sites-enabled/mysite":
        ("host", f"{DEPLOY}::test_nginx_configs_pass_nginx_t"),
    "sudo systemctl reload nginx": ("host", f"{DEPLOY}::test_nginx_configs_pass_nginx_t"),
    "sudo supervisorctl reread": ("host", f"{DEPLOY}::test_nginx_in_front_of_supervisor_command"),
    "sudo supervisorctl update": ("host", f"{DEPLOY}::test_nginx_in_front_of_supervisor_command"),
    "sudo supervisorctl signal HUP mysite":
        ("host", f"{DEPLOY}::test_nginx_in_front_of_supervisor_command"),
}


def test_every_documented_command_is_run_or_mapped() -> None:
    documented = shell_commands()
    missing = [f"{where}: {command}" for where, command in documented if command not in COVERAGE]
    assert not missing, "commands neither run by a test nor mapped in COVERAGE:\n" + "\n".join(
        missing)
    stale = set(COVERAGE) - {command for _, command in documented}
    assert not stale, f"COVERAGE names commands the docs no longer show: {sorted(stale)}"


@pytest.mark.parametrize("command", sorted(COVERAGE))
def test_coverage_points_at_something_real(command: str) -> None:
    kind, ref = COVERAGE[command]
    if kind == "make":
        assert re.search(rf"^{re.escape(ref)}:", (ROOT / "Makefile").read_text(), re.M), ref
        if ref == "test":
            assert "make test" in (ROOT / ".ci" / "run").read_text()
        return
    path, _, name = ref.partition("::")
    tree = ast.parse((ROOT / path).read_text())
    assert name in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, ref


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """sample_project's environment, with a migrated temporary database."""
    env = sample_env(tmp_path_factory.mktemp("docs_sample"))
    run([sys.executable, "manage.py", "migrate", "--noinput"], env)
    return env


def test_make_run_serves_the_sample_project(tmp_path: Path) -> None:
    """`make run` with this interpreter's venv (no install), a temp database and PORT=0."""
    words = shlex.split(doc_command("make run"))
    venv = Path(sys.prefix)
    if shutil.which("make") is None or not (venv / "bin" / "gunicorn").exists():
        pytest.skip(f"needs make, and a gunicorn script in {venv}")
    rel = Path(*[".."] * len(ROOT.parts)) / venv.relative_to(venv.anchor)  # from ROOT and below
    log = tmp_path / "make.log"
    args = [*words, f"VENV={rel}", "-o", f"{rel}/.installed", "HOST=127.0.0.1", "PORT=0"]
    with process_group(args, sample_env(tmp_path), log, cwd=ROOT) as proc:
        port = int(wait_for(log, r"Listening at: http://127\.0\.0\.1:(\d+)", proc).group(1))
        status, _, body = poll_get(port, "/", proc=proc, log=log)
        assert status == 200 and b"async-demo" in body
        assert get(port, "/admin/login/")[0] == 200
        assert get(port, "/api/", {"Accept": "application/json"})[0] == 200
        assert get(port, "/static/demo/site.css")[0] == 200
        # The chat reaches both workers, through the redis-server make run starts.
        assert len(asyncio.run(chat_across_workers(f"http://127.0.0.1:{port}"))) == 2
    output = log.read_text()
    for step in ("[1/3] Migrating", "[2/3] Collecting static files", "[3/3] Starting gunicorn"):
        assert f"==> {step}" in output, output
    assert "password async-demo" in output


def test_quickstart_gunicorn_command(prepared: dict[str, str]) -> None:
    """The quickstart's gunicorn line serves sample_project, bound to a socket passed as fd://N."""
    words = shlex.split(doc_command("gunicorn mysite.wsgi").replace("mysite", "sample_project"))
    assert words[0] == "gunicorn"
    app, rest = words[1], words[2:]
    worker = rest.pop(rest.index("-k") + 1)
    rest.remove("-k")
    del rest[rest.index("--bind"):rest.index("--bind") + 2]
    with Gunicorn(*rest, app=app, worker=worker, cwd=SAMPLE_DIR, env=prepared) as server:
        server.wait_ready("/slow/?ms=0")
        status, _, body = get(server.port, "/async/")
        assert status == 200 and b'"view": "async"' in body
        status, _, body = get(server.port, "/fanout/?ms=50")  # the shared client session
        assert status == 200 and body.count(b'"status": 200') == 3


@pytest.mark.parametrize("command", ASGI_COMMANDS)
def test_asgi_server_commands(command: str, prepared: dict[str, str]) -> None:
    """Each documented ASGI server line serves sample_project.asgi: one worker, a socket here."""
    assert command in {c for _, c in shell_commands()}
    words = shlex.split(command.replace("mysite", "sample_project"))
    words = ["1" if before in ("--workers", "-w") else word
             for before, word in zip(["", *words], words, strict=False)]
    name = server_name(words)
    if words[0] == "gunicorn" and gunicorn_supports_control_socket():
        words.append("--no-control-socket")
    argv = [str(Path(sys.executable).with_name(words[0])), *words[1:], *BIND[name]]
    with ASGIServer(name, env=prepared, command=argv, cwd=SAMPLE_DIR) as server:
        server.wait_ready("/async/")
        status, _, body = get(server.port, "/async/")
        assert status == 200 and b'"view": "async"' in body
        status, _, body = get(server.port, "/fanout/?ms=50")  # the shared client session
        assert status == 200 and body.count(b'"status": 200') == 3


MANAGE = sorted({c for _, c in shell_commands()
                 if c.startswith("python manage.py ") and "runserver" not in c})


@pytest.mark.parametrize("command", MANAGE)
def test_manage_py_commands(command: str, prepared: dict[str, str]) -> None:
    result = run(python_command(command), prepared)
    assert "async_handler." not in result.stdout + result.stderr  # none of our checks fire


def test_runserver_command(prepared: dict[str, str], tmp_path: Path) -> None:
    """`python manage.py runserver` with its autoreloader, on an ephemeral port."""
    args = [*python_command(doc_command("python manage.py runserver")), "127.0.0.1:0"]
    log = tmp_path / "runserver.log"
    with process_group(args, prepared, log, stop=signal.SIGINT) as proc:
        url = wait_for(log, r"Starting development server at http://127\.0\.0\.1:(\d+)/", proc)
        status, headers, body = poll_get(int(url.group(1)), "/async/", proc=proc, log=log)
        assert status == 200 and b'"view": "async"' in body
        # Served by async_handler's server, not Django's WSGIServer.
        assert "WSGIServer" not in headers.get("Server", "WSGIServer")


@pytest.mark.parametrize("block", blocks("python"), ids=lambda b: b.where)
def test_python_snippets_compile(block: Block) -> None:
    compile(block.text, block.where, "exec")


def _statements(source: str) -> list[str]:
    """The module's statements, without its docstring or `from __future__` imports."""
    body = ast.parse(source).body
    return [ast.dump(node) for node in body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
            and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]


def test_quickstart_wsgi_matches_sample_project() -> None:
    snippet = file_block("mysite/wsgi.py", "python").text.replace("mysite", "sample_project")
    actual = (SAMPLE_DIR / "sample_project" / "wsgi.py").read_text()
    assert _statements(snippet) == _statements(actual)


def test_settings_defaults_match_conf() -> None:
    block = next(b for b in blocks("python", docs=("README.md",)) if "ASYNC_HANDLER = {" in b.text)
    namespace: dict[str, object] = {}
    exec(compile(block.text, block.where, "exec"), namespace)
    assert namespace["ASYNC_HANDLER"] == conf.DEFAULTS
    readme = (ROOT / "README.md").read_text()
    assert set(re.findall(r"^\| `([A-Z][A-Z_]+)` \|", readme, re.M)) == set(conf.DEFAULTS)


def test_check_ids_match_checks_module() -> None:
    source = "".join((ROOT / "async_handler" / name).read_text()
                     for name in ("checks.py", "websocket/layercheck.py"))
    readme = (ROOT / "README.md").read_text()
    pattern = r"async_handler\.[EW]\d{3}"
    assert set(re.findall(pattern, readme)) == set(re.findall(pattern, source))


def test_install_extras_exist() -> None:
    """The extras the docs install are declared in setup.cfg."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    declared = set(cfg["options.extras_require"])
    for _, command in shell_commands():
        for extras in re.findall(r"async_handler\[([\w,]+)\]", command):
            assert set(extras.split(",")) <= declared, command


def test_readme_demo_facts() -> None:
    """Credentials and URL in the README match credentials.py and the Makefile's defaults."""
    readme = (ROOT / "README.md").read_text()
    creds = (SAMPLE_DIR / "demo" / "credentials.py").read_text()
    user = re.search(r'DEMO_USERNAME = "(.+)"', creds).group(1)  # type: ignore[union-attr]
    password = re.search(r'DEMO_PASSWORD = "(.+)"', creds).group(1)  # type: ignore[union-attr]
    assert f"**{user}** with password **{password}**" in readme
    makefile = (ROOT / "Makefile").read_text()
    host = re.search(r"^HOST \?= (\S+)", makefile, re.M).group(1)  # type: ignore[union-attr]
    port = re.search(r"^PORT \?= (\S+)", makefile, re.M).group(1)  # type: ignore[union-attr]
    assert f"http://{host}:{port}/" in readme
    assert f"user {user}, password {password}" in makefile


def test_dotted_names_resolve() -> None:
    """Every async_handler.x.y the docs name can be imported."""
    names = set()
    for doc in DOCS:
        names |= set(re.findall(r"\basync_handler(?:\.\w+)+", (ROOT / doc).read_text()))
    for name in sorted(names):
        if re.search(r"\.[EW]\d{3}$", name):
            continue  # a check id
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj: object = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
            break
        else:
            pytest.fail(f"{name} does not import")
