"""Start and stop the real dashboard server (``streamlit run serve.py``, as deployed) on a free
loopback port against a demo database made for the purpose. Used by the browser tests and the
load test. A server is handed over once ``/api/ready`` says its warm-up is done, as a load
balancer would (``entry="app.py"``: the plain script, handed over once ``/_stcore/health`` answers)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from data_access.db import make_engine
from data_access.demo import seed_demo
from data_access.settings import PROJECT_ROOT
from data_access.setup import initialise


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_demo_database(path: Path, referrals: int) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    initialise(engine)
    seed_demo(engine, referrals=referrals)
    engine.dispose()
    return url


@dataclass
class RunningServer:
    process: subprocess.Popen
    base_url: str
    database_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Stop the server and anything it started (it runs in its own process group)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


def _answer(url: str, entry: str) -> bool:
    """Whether the server at ``url`` is ready for people: warm (serve.py) or up (app.py)."""
    if entry == "serve.py":  # 503 (an HTTPError, so an OSError) until warm
        with urllib.request.urlopen(f"{url}/api/ready", timeout=2) as response:
            return json.load(response).get("ready") is True
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
        return response.read().strip() == b"ok"


def start_server(database_url: str, log_path: Path, *, extra_env: dict[str, str] | None = None,
                 timeout_s: float = 120.0, entry: str = "serve.py") -> RunningServer:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update({
        "DASHBOARD_DATABASE_URL": database_url,
        "DASHBOARD_SEED_DEMO": "0",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",  # other engineers' edits must not rerun it mid-test
    })
    env.update(extra_env or {})
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / entry),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    server = RunningServer(process, f"http://127.0.0.1:{port}", database_url, log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}; see {log_path}")
        try:
            if _answer(server.base_url, entry):
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"the {entry} server was not ready within {timeout_s:.0f} s; see {log_path}")
