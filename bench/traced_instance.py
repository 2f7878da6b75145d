"""``python -m quart_app`` writing, at intervals, what its Python heap holds more of.

    python -m bench.traced_instance OUT SECONDS [--tracemalloc] -- --host 127.0.0.1 --port 8000

Every ``SECONDS`` a thread appends to ``OUT`` the object types whose live
count, and whose bytes (``sys.getsizeof``: a dict's table, not what it
refers to), grew most since the first census: the containers
``gc.get_objects()`` lists, and the str and bytes they refer to, counted
under the type of their first holder ("str held by dict"), with
``sys.getallocatedblocks()``. A census holds the GIL for a second or more on
a busy machine; nothing runs in between. With ``--tracemalloc`` it also
traces every allocation (one frame) and appends the source lines whose live
bytes grew most: that sees every Python allocation, but slows the instance
and adds memory of its own, so ``bench/soak.py`` traces one instance and
measures the other. The first census is taken ``SECONDS`` after start, once
the start-up is done.
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


Census = tuple[Counter[str], Counter[str]]  # type -> live count, type -> their bytes
ATOMS = (str, bytes, bytearray, memoryview)


def _census() -> Census:
    """Containers by type; the str and bytes they refer to under ``"<type> held by <type>"``."""
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    seen: set[int] = set()
    for thing in gc.get_objects():
        name = type(thing).__qualname__
        counts[name] += 1
        sizes[name] += sys.getsizeof(thing, 0)
        for part in gc.get_referents(thing):
            if isinstance(part, ATOMS) and id(part) not in seen:
                seen.add(id(part))
                held = f"{type(part).__name__} held by {name}"
                counts[held] += 1
                sizes[held] += sys.getsizeof(part, 0)
    counts["(allocated blocks)"] = sys.getallocatedblocks()
    return counts, sizes


def _traced() -> Sizes:
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    return {str(s.traceback[0]): (s.size, s.count) for s in snapshot.statistics("lineno")}


def _grown_types(now: Census, first: Census) -> list[str]:
    (counts, sizes), (first_counts, first_sizes) = now, first
    by_count = sorted(counts, key=lambda n: counts[n] - first_counts[n], reverse=True)[:TOP]
    by_bytes = sorted(sizes, key=lambda n: sizes[n] - first_sizes[n], reverse=True)[:TOP]
    return [
        *(f"{counts[n] - first_counts[n]:+9d} {n} (now {counts[n]})" for n in by_count),
        "-- object types whose bytes grew most since",
        *(f"{(sizes[n] - first_sizes[n]) / 1024:+10.1f} KiB {n} (now {sizes[n] / 2**20:.1f} MiB)"
          for n in by_bytes),
    ]  # fmt: skip


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
