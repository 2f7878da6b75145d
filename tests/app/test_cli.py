from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from quart_app.cli import main
from quart_app.services.auth.tokens import TokenKeys, decode_token
from tests.support.served import local_env, serving

SECRET = "cli-secret-key-long-enough-for-the-test-0123"
RUN_WORKER = "from quart_app.cli import main; raise SystemExit(main(['worker']))"


def test_token_mints_a_jwt_for_the_shared_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECRET_KEY", SECRET)
    assert main(["token", "--user", "7", "--role", "manager"]) == 0
    principal = decode_token(TokenKeys(SECRET), capsys.readouterr().out.strip())
    assert (principal.user_id, principal.role.value) == ("7", "manager")


def test_token_without_a_secret_uses_the_development_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "secret-key"))
    assert main(["token", "--user", "7", "--role", "cook"]) == 0
    token = capsys.readouterr().out.strip()
    assert decode_token(TokenKeys((tmp_path / "secret-key").read_text()), token).user_id == "7"


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("HEARTBEAT_INTERVAL", "never", "HEARTBEAT_INTERVAL"),
        ("BUS_URL", "redis+sentinel://s1:26379,:26380/mymaster", "BUS_URL: bad sentinel address"),
    ],
)
def test_bad_configuration_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"voice-realtime: invalid configuration: {says}")


@pytest.mark.redis
@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_cluster_url_naming_a_plain_redis_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    redis_url: str,
    command: str,
) -> None:
    # The machine's Redis runs without cluster mode; asking it for slots changes nothing.
    host_port = redis_url.removeprefix("redis://").partition("/")[0]
    monkeypatch.setenv("BUS_URL", f"redis+cluster://{host_port}")
    monkeypatch.setenv("AI_WORKER", "external")
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")

    assert main([command]) == 2

    err = capsys.readouterr().err
    assert err == (
        "voice-realtime: BUS_URL: redis+cluster:// names a Redis that is not a cluster "
        "(cluster mode is not enabled)\n"
    )


def test_memory_bus_refuses_several_workers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "2"]) == 2
    assert "BUS_URL" in capsys.readouterr().err


def test_worker_refuses_the_memory_bus(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BUS_URL", raising=False)
    assert main(["worker"]) == 2
    assert "BUS_URL: a separate worker needs a shared bus" in capsys.readouterr().err


def test_plain_hypercorn_reports_bad_configuration_in_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, AI_TIMEOUT="-3")
    result = subprocess.run(
        [sys.executable, "-m", "hypercorn", "quart_app:create_app()", "--bind", "127.0.0.1:0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    output = result.stdout + result.stderr
    assert "voice-realtime: invalid configuration: AI_TIMEOUT" in output
    assert "Traceback" not in output


@pytest.mark.slow
def test_worker_serves_the_queues_until_interrupted(redis_url: str) -> None:
    env = dict(os.environ, BUS_URL=redis_url)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from quart_app.cli import main; raise SystemExit(main(['worker']))",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert "serving stt, llm, image" in line, line
        worker.send_signal(signal.SIGINT)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()


@pytest.mark.slow
def test_python_m_quart_app_serves_the_embedded_default(tmp_path: Path) -> None:
    with serving(local_env(tmp_path)) as served:
        assert httpx.get(f"{served.base_url}/readyz", timeout=5).json()["status"] == "ready"
        spec = httpx.get(f"{served.base_url}/openapi.json", timeout=5).json()
        assert spec["openapi"].startswith("3.")
    assert "SECRET_KEY is not set: using the development key generated in" in served.output
    assert served.output.count("Running on") == 1
    # Stopped by SIGTERM: the embedded AI worker and the outbox relay stop cleanly.
    assert "embedded AI worker started" in served.output
    assert "ERROR" not in served.output and "Traceback" not in served.output, served.output


@pytest.mark.slow
@pytest.mark.redis
def test_workers_accept_a_token_the_cli_minted_with_the_development_key(
    tmp_path: Path,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = local_env(tmp_path, BUS_URL=redis_url, AI_WORKER="external")
    with serving(env, "--workers", "2") as served:
        monkeypatch.delenv("SECRET_KEY", raising=False)
        monkeypatch.setenv("SECRET_KEY_FILE", env["SECRET_KEY_FILE"])
        assert main(["token", "--user", "manager-1", "--role", "manager"]) == 0
        headers = {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}
        # A new connection each time: either worker may answer.
        statuses = [
            httpx.get(f"{served.base_url}/api/ws/stats", headers=headers, timeout=5).status_code
            for _ in range(20)
        ]
    assert set(statuses) == {200}
    assert served.output.count("SECRET_KEY is not set: using the development key") == 2
