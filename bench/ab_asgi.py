"""A/B of the ASGI application on one server, in one run: this checkout against another copy.

`python bench/ab_asgi.py /path/to/old/parent-of-async_handler` serves the async hello with
the old copy (PYTHONPATH first) and this checkout, side by side with Django's ASGIHandler
and a bare ASGI hello on the same server, alternating rounds; the best round of each is kept.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import machine, project, stacks, wrk  # noqa: E402
from benchlib.server import Server  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("before", type=Path, help="folder holding the old async_handler package")
    p.add_argument("--server", default="uvicorn", choices=("uvicorn", "granian"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=5.0)
    args = p.parse_args()
    by_name = {s.name: s for s in stacks.STACKS}
    wrk_path = wrk.ensure_wrk()
    with project.data_dir() as data:
        env = project.server_env(data)
        project.prepare(env)
        old_env = {**env, "PYTHONPATH": f"{args.before}:{env.get('PYTHONPATH', '')}"}
        runs = {
            "before": (by_name[f"ours-{args.server}"], old_env),
            "after": (by_name[f"ours-{args.server}"], env),
            "django": (by_name[args.server], env),
            "bare": (by_name[f"bare-{args.server}"], env),
        }
        best: dict[str, float] = {}
        load = machine.load()
        for rnd in range(args.rounds):
            for label, (stack, stack_env) in runs.items():
                log = data / f"ab-{label}.log"
                with Server(stack, stack_env, project.BENCH_DIR, log) as server:
                    wrk.run(wrk_path, server.base_url, ["/hello/async/"], connections=64,
                            threads=2, duration_s=1.0)
                    res = wrk.run(wrk_path, server.base_url, ["/hello/async/"], connections=64,
                                  threads=2, duration_s=args.duration)
                best[label] = max(best.get(label, 0.0), res.rps)
                print(f"round {rnd + 1} {label:<7} {res.rps:>9,.0f} req/s", flush=True)
        print(f"load average {load:.2f} before, {machine.load():.2f} after; "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        for label, rps in best.items():
            print(f"{label:<7} {rps:>9,.0f} req/s  {rps / best['django']:.2f}x django")


if __name__ == "__main__":
    main()
