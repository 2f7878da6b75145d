"""``python -m quart_app`` writing, at intervals, what its Python heap holds more of.

    python -m bench.traced_instance OUT SECONDS [--tracemalloc] -- --host 127.0.0.1 --port 8000

Every ``SECONDS`` a thread appends to ``OUT`` the object types whose live
count grew most since the first census (``gc.get_objects()``: containers
only, no str or bytes; a fraction of a second of the GIL each time, nothing in
between). With ``--tracemalloc`` it also traces every allocation (one frame)
and appends the source lines whose live bytes grew most: that sees str and
bytes too, but slows the instance and adds memory of its own, so
``bench/soak.py`` traces one instance and measures the other. The first
census is taken ``SECONDS`` after start, once the start-up is done.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

TOP = 20
Sizes = dict[str, tuple[int, int]]  # source line -> (live bytes, live blocks)


def _census() -> Counter[str]:
    return Counter(type(thing).__qualname__ for thing in gc.get_objects())


def _traced() -> Sizes:
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    return {str(s.traceback[0]): (s.size, s.count) for s in snapshot.statistics("lineno")}


def _grown_types(now: Counter[str], first: Counter[str]) -> list[str]:
    grown = sorted(now, key=lambda name: now[name] - first[name], reverse=True)[:TOP]
    return [f"{now[n] - first[n]:+9d} {n} (now {now[n]})" for n in grown]


def _grown_lines(now: Sizes, first: Sizes) -> list[str]:
    def growth(line: str) -> int:
        return now[line][0] - first.get(line, (0, 0))[0]

    grown = sorted(now, key=growth, reverse=True)[:TOP]
    return [
        f"{growth(line) / 1024:+10.1f} KiB {line} (now {now[line][1]} blocks)" for line in grown
    ]


def _watch(out: Path, every: float, tracing: bool) -> None:
    time.sleep(every)
    first_types = _census()
    first_lines = _traced() if tracing else {}
    started = time.monotonic()
    while True:
        time.sleep(every)
        minutes = (time.monotonic() - started) / 60
        lines = [f"== {minutes:.1f} min after the first census: object types grown since"]
        lines += _grown_types(_census(), first_types)
        if tracing:
            traced, _ = tracemalloc.get_traced_memory()
            lines.append(f"-- source lines grown since (traced now {traced / 2**20:.1f} MiB)")
            lines += _grown_lines(_traced(), first_lines)
        with out.open("a") as file:
            file.write("\n".join(lines) + "\n\n")


def main() -> None:
    arguments = sys.argv[1:]
    if "--" not in arguments:
        raise SystemExit(__doc__)
    ours, serve = arguments[: arguments.index("--")], arguments[arguments.index("--") + 1 :]
    out, every, *options = ours
    tracing = options == ["--tracemalloc"]
    if tracing:
        tracemalloc.start(1)
    threading.Thread(target=_watch, args=(Path(out), float(every), tracing), daemon=True).start()
    from quart_app.cli import main as cli

    raise SystemExit(cli(["serve", *serve]))


if __name__ == "__main__":
    main()
