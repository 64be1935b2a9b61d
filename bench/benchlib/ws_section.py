"""`make bench --only websocket`: the stacks that can run, the run, WEBSOCKET.md and the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import machine, project, report, stacks, websocket, ws_chart, ws_report
from .ws_stacks import WS_STACKS

EXTRA_VERSIONS = ("channels", "channels_redis", "redis", "websockets", "httptools")
NOTES = [
    "Notes:",
    "",
    "- Every stack runs `bench_project.ws_settings`: the same CHANNEL_LAYERS, channels_redis "
    "on a throwaway redis-server (unix socket) that the bench starts and stops. Its pool is "
    "allowed 2,000 connections and its channel capacity is 1,000: with the defaults (redis-py "
    "8's pool of 100, which raises MaxConnectionsError rather than waiting; capacity 100 on "
    "the one Redis key a process's channels share) 500 Channels consumers of a worker joining "
    "or leaving at once fail (our views' joins share one group_add per group and wait on "
    "CHANNEL_LAYER_CONCURRENCY instead), and a burst to 250 groups drops messages on every "
    "stack. Each host has `socket_timeout` 10: redis-py 8's default of 5 s kills consumers "
    "idle for 5 s (check async_handler.W007).",
    "- The load comes from two `benchlib/ws_client.py` processes (aiohttp's client on uvloop, "
    "offering permessage-deflate as browsers do); `clients CPU` is their CPU time over the "
    "run, `worker CPU` the server's (1.0 = one CPU busy). uvicorn runs with its defaults: "
    "uvloop and httptools when installed, `websockets` for the sockets; both servers "
    "negotiate permessage-deflate and ping every 20 s.",
    "- Fan-out: the bench process group_sends (channels_redis's RedisChannelLayer, as another "
    "process or a Celery task would) one message to every group at once, then waits until each "
    "socket has it; time to all delivered is from before the first group_send to the last "
    'arrival at a client. Our view\'s sockets get `{"type": "websocket.send"}`, forwarded '
    "without waking the view; the consumers get `bench.message`, sent on by their handler. "
    "Redis figures are INFO's counters around the rounds (`Redis cmds/s` over the rounds' "
    "wall time) and around the joins; they include the sender's commands.",
    "- With redis-py 8 and channels_redis 4.3, a layer read that waits 5 s with nothing to read "
    "raises TimeoutError. A Channels consumer (on uvicorn, and in consumer_view, which runs it "
    "unchanged) dies of it and its socket closes: the echo runs' `errors` are such sockets, and "
    "the servers' logs in results/raw/websocket/ show the tracebacks. feeds.py reads again.",
    "- Memory: the worker's VmRSS before and after 5,000 echo sockets are open and idle, "
    "after 100 sockets opened and closed as a warm-up; per socket = difference / sockets.",
    "- `ours-per-socket` is bench-only (`bench_project/ws_groups.py`): the same view with a "
    "layer channel per socket, read by a task per socket (the model before feeds.py), to "
    "measure against the channel per group per worker that `async_handler/websocket/` "
    "implements.",
    "- `aiohttp-bare` (`benchlib/bare_ws.py`) is the floor: an echo in a bare aiohttp "
    "WebSocketResponse with our defaults (pings every 20 s, 1 MiB cap, permessage-deflate), "
    "no Django, on gunicorn's `aiohttp.GunicornWebWorker`. Its KB per socket is what aiohttp "
    "itself costs; `KB over aiohttp-bare` is what Django and this package add.",
]


def run(args: Any, data: Path, raw_dir: Path) -> None:
    env = project.server_env(data)
    wanted = {n.strip() for n in args.stacks.split(",") if n.strip()}
    candidates = [s for s in WS_STACKS if not wanted or s.name in wanted]
    skipped = stacks.missing_requirements(
        {s.name: s.requires for s in candidates}, env, str(project.BENCH_DIR)
    )
    for name, why in skipped.items():
        print(f"==> WebSocket section: skipping {name}: {why}", flush=True)
    available = [s for s in candidates if s.name not in skipped]
    if not available:
        print("==> WebSocket section: nothing to run", flush=True)
        return
    raw = raw_dir / "websocket"
    raw.mkdir(parents=True, exist_ok=True)
    cfg = websocket.WsSettings(
        duration_s=args.duration,
        warmup_s=args.warmup,
        rounds=args.rounds,
        repeat=max(1, args.repeat),
    )
    load_before = machine.load()
    print(
        f"==> WebSocket section: {len(available)} stacks; load average {load_before:.2f}",
        flush=True,
    )
    phases = tuple(p.strip() for p in args.ws_phases.split(",") if p.strip())
    results, setting = websocket.run(available, env, raw, cfg, phases)
    meta = machine.describe()
    meta["load_before"], meta["load_after"] = round(load_before, 2), round(machine.load(), 2)
    meta["versions"] = {**meta["versions"], **_versions()}  # type: ignore[dict-item]
    names = [s.name for s in available]
    # The targets are the shipped stacks'; ours-per-socket is a bench-only design probe.
    ours = [s.name for s in available if s.ours and s.name != "ours-per-socket"]
    trows = ws_report.print_tables(results, names, ours)
    settings = {
        "duration_s": cfg.duration_s,
        "warmup_s": cfg.warmup_s,
        "rounds": cfg.rounds,
        "repeat": cfg.repeat,
        **setting,
    }
    labels = {s.name: s.label for s in available}
    ws_report.write(
        args.out / "WEBSOCKET.md", meta, settings, labels, results, trows, skipped, NOTES
    )
    report.write_json(
        args.out / "websocket.json",
        {
            "meta": meta,
            "settings": settings,
            "stacks": labels,
            "skipped": skipped,
            "results": results,
        },
    )
    if ws_chart.draw(args.out / "websocket.png", results, names, meta):
        print(f"==> wrote {args.out / 'websocket.png'}", flush=True)
    print(f"==> wrote {args.out / 'WEBSOCKET.md'}", flush=True)


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in EXTRA_VERSIONS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    try:
        import subprocess

        line = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        out["redis-server"] = line.split("v=")[1].split()[0] if "v=" in line else "unknown"
    except (OSError, IndexError):
        out["redis-server"] = "unknown"
    return out
