"""``POST /api/voice/analyze`` with rate limits on against off (target: >= 0.9x).

The same service and load as ``bench/voice_analyze.py`` (64 keep-alive
connections from one address, so every request counts against one hot key),
measured in alternating runs: limits off (``RATE_LIMITS_ENABLED=false``), then
on with a budget no run can exhaust, on the memory bus and on Redis.

    python -m bench.rate_limits --redis redis://127.0.0.1:6379/5 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile

from bench.voice_analyze import Result, _measure

FACTORY = "bench.voice_apps:analyze_app()"
SETTINGS = {
    "off": {"RATE_LIMITS_ENABLED": "false"},
    "on": {"RATE_LIMITS_ENABLED": "true", "RATE_LIMIT_ANALYZE": "100000000/minute"},
}


def _run(mode: str, bus_url: str, args: argparse.Namespace, folder: str) -> Result:
    os.environ.update(SETTINGS[mode])
    os.environ["BENCH_BUS_URL"] = bus_url
    return _measure(f"limits {mode}", FACTORY, args, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    print(f"{args.connections} connections, {args.seconds:.0f} s after {args.warmup:.0f} s warm-up")
    print("| bus | round | off requests/s | on requests/s | ratio | p99 off / on ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for bus_url in ("memory://", args.redis):
        ratios = []
        for number in range(1, args.rounds + 1):
            with tempfile.TemporaryDirectory(prefix="limits-bench-") as folder:
                off = _run("off", bus_url, args, folder)
            with tempfile.TemporaryDirectory(prefix="limits-bench-") as folder:
                on = _run("on", bus_url, args, folder)
            ratios.append(on.rate / off.rate)
            print(
                f"| {bus_url.split(':')[0]} | {number} | {off.rate:,.0f} | {on.rate:,.0f} "
                f"| {ratios[-1]:.2f}x | {off.percentile(0.99):.1f} / {on.percentile(0.99):.1f} "
                f"| {off.errors + on.errors} |"
            )
        median = statistics.median(ratios)
        print(f"| {bus_url.split(':')[0]} | median | | | **{median:.2f}x** | | |")


if __name__ == "__main__":
    main()
