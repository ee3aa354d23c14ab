"""Shared fixtures for system tests: a running `hotline serve` with its own
configuration and data directory, and small HTTP helpers. Each test file runs in
its own network namespace (netns-run), so fixed ports are free."""

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HOTLINE = os.environ.get("HOTLINE_BIN", "build/release/src/app/hotline")
SOURCE_DIR = Path(os.environ.get("HOTLINE_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A hotline process; a reader thread collects its log lines as they come."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, needle, timeout=30.0):
        """Waits until the server logs a line containing `needle` (an event, not a
        sleep); fails if the process exits or the deadline passes first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if needle in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (not self._reader.is_alive() and self.proc.poll() is not None):
                    break
                self._cond.wait(min(left, 1.0))
        raise AssertionError(
            f"server never logged {needle!r}; exit={self.proc.poll()}; log:\n" + self.log())

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return self.proc.returncode

    def log(self):
        with self._cond:
            return "".join(self.lines)


def start(args, cwd):
    proc = subprocess.Popen([HOTLINE, *args], cwd=cwd, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    return Server(proc)


def write_config(dir_path, http_port, db_url=None, extra=""):
    db_url = db_url or f"sqlite:{dir_path}/data/hotline.db"
    text = f"""
server:
  data_dir: {dir_path}/data
log:
  level: debug
http:
  listen: 127.0.0.1:{http_port}
  static_dir: {dir_path}/www
  request_timeout: 2s
storage:
  url: {db_url}
sip:
  listen:
    - {{ transport: udp, address: 127.0.0.1:5060 }}
{extra}"""
    path = Path(dir_path) / "hotline.yaml"
    path.write_text(text)
    return path


def http_get(port, path, timeout=10):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


@pytest.fixture
def serve(tmp_path):
    """Starts `hotline serve --config` in tmp_path; yields (server, port, config path)."""
    servers = []

    def _start(db_url=None, extra="", wait=True):
        port = free_port()
        (tmp_path / "www").mkdir(exist_ok=True)
        cfg = write_config(tmp_path, port, db_url=db_url, extra=extra)
        s = start(["serve", "--config", str(cfg)], cwd=tmp_path)
        servers.append(s)
        if wait:
            s.wait_for("msg=ready")
        return s, port, cfg

    yield _start
    for s in servers:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def parse_json(text):
    return json.loads(text)
