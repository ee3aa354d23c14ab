"""`hotline serve`: embedded defaults, health and metrics, graceful stop flushing
the event log, SIGHUP reload, and the start-up failures an operator meets (port
in use, a file that is not a database, an unreachable PostgreSQL)."""

import json
import signal
import socket
import sqlite3
import subprocess

from conftest import HOTLINE, Server, free_port, http_get, start, write_config


def events_in(db_path):
    con = sqlite3.connect(db_path)
    try:
        return [(t, tenant, json.loads(p)) for (t, tenant, p) in
                con.execute("SELECT type, tenant_id, payload FROM events ORDER BY seq")]
    finally:
        con.close()


def test_embedded_defaults_serve_and_stop_gracefully(tmp_path):
    s = start(["serve"], cwd=tmp_path)
    s.wait_for("msg=ready")
    status, ctype, body = http_get(8080, "/health")
    assert status == 200
    assert ctype.startswith("application/json")
    health = json.loads(body)
    assert health["status"] == "ok"
    assert health["storage"]["backend"] == "sqlite"
    assert health["tenant"] == "default"
    assert s.stop(signal.SIGTERM) == 0, s.log()
    assert "msg=stopped" in s.log()
    db = tmp_path / "var" / "hotline.db"
    assert db.exists()
    types = [(t, tenant) for t, tenant, _ in events_in(db)]
    # The stop event is appended after the listener closed: it being stored proves the
    # writer flushed its queue before exit.
    assert types == [("system.started", "default"), ("system.stopped", "default")]


def test_sigint_also_stops_gracefully(serve, tmp_path):
    s, port, _ = serve()
    assert s.stop(signal.SIGINT) == 0, s.log()
    stopped = [p for t, _, p in events_in(tmp_path / "data" / "hotline.db") if t == "system.stopped"]
    assert stopped == [{"signal": "SIGINT"}]


def test_metrics_and_json_errors(serve):
    s, port, _ = serve()
    assert http_get(port, "/health")[0] == 200
    status, ctype, body = http_get(port, "/no/such/thing")
    assert status == 404
    assert json.loads(body)["error"]["code"]
    status, ctype, metrics = http_get(port, "/metrics")
    assert status == 200
    assert ctype.startswith("text/plain")
    assert "hotline_uptime_seconds " in metrics
    assert 'hotline_http_requests_total{status="200"}' in metrics
    assert 'hotline_http_requests_total{status="404"}' in metrics
    assert "hotline_event_log_writes_total" in metrics


def test_oversized_headers_get_431_and_the_server_lives(serve):
    s, port, _ = serve()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
        reply = c.recv(65536).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 431"), reply[:200]
    assert http_get(port, "/health")[0] == 200


def test_sighup_applies_what_it_can_and_names_the_rest(serve, tmp_path):
    s, port, cfg = serve()
    text = cfg.read_text()
    text = text.replace("level: debug", "level: info")
    text = text.replace(f"listen: 127.0.0.1:{port}", f"listen: 127.0.0.1:{port + 1}")
    cfg.write_text(text)
    s.proc.send_signal(signal.SIGHUP)
    s.wait_for("setting=log.level")
    s.wait_for("needs a restart")
    assert "setting=http.listen" in s.log()
    # The old listener keeps serving.
    assert http_get(port, "/health")[0] == 200


def test_sighup_with_a_broken_file_keeps_the_running_configuration(serve):
    s, port, cfg = serve()
    cfg.write_text("http: [oops\n")
    s.proc.send_signal(signal.SIGHUP)
    s.wait_for("reload rejected")
    s.wait_for("the running one stays in force")
    assert http_get(port, "/health")[0] == 200
    assert s.stop() == 0


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        cfg = write_config(tmp_path, port)
        r = subprocess.run([HOTLINE, "serve", "--config", str(cfg)], capture_output=True,
                           text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 1
    assert "already in use" in r.stderr, r.stderr


def test_a_file_that_is_not_a_database_is_refused_and_untouched(tmp_path):
    bogus = tmp_path / "data" / "hotline.db"
    bogus.parent.mkdir()
    content = b"this is a spreadsheet, not a database\n" * 100
    bogus.write_bytes(content)
    cfg = tmp_path / "hotline.yaml"
    cfg.write_text(f"server:\n  data_dir: {tmp_path}/data\nstorage:\n  url: sqlite:{bogus}\n"
                   f"http:\n  listen: 127.0.0.1:0\n")
    r = subprocess.run([HOTLINE, "serve", "--config", str(cfg)], capture_output=True, text=True,
                       timeout=60, cwd=tmp_path)
    assert r.returncode == 1
    assert "cannot open storage" in r.stderr or "cannot migrate storage" in r.stderr, r.stderr
    assert bogus.read_bytes() == content


def test_unreachable_postgres_is_a_clear_error_without_the_password(tmp_path):
    cfg = tmp_path / "hotline.yaml"
    cfg.write_text(f"server:\n  data_dir: {tmp_path}/data\n"
                   "storage:\n  url: postgres://hotline:s3cret@127.0.0.1:1/hotline\n"
                   "http:\n  listen: 127.0.0.1:0\n")
    r = subprocess.run([HOTLINE, "serve", "--config", str(cfg)], capture_output=True, text=True,
                       timeout=60, cwd=tmp_path)
    assert r.returncode == 1
    assert "cannot open storage" in r.stderr, r.stderr
    assert "s3cret" not in r.stderr


def test_the_descriptor_limit_is_raised_to_the_hard_limit(tmp_path):
    # Debian's default soft limit (1,024) would cap a server near 250 calls (four
    # sockets each); hotline raises it to the hard limit at start-up.
    cfg = write_config(tmp_path, free_port())
    proc = subprocess.Popen(["prlimit", "--nofile=1024:8192", HOTLINE, "serve", "--config",
                             str(cfg)], cwd=tmp_path, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    s = Server(proc)
    try:
        line = s.wait_for("msg=starting")
        assert "max_open_files=8192" in line, line
        s.wait_for("msg=ready")
        limits = open(f"/proc/{proc.pid}/limits").read()
        row = next(r for r in limits.splitlines() if r.startswith("Max open files"))
        assert row.split()[3:5] == ["8192", "8192"], row
    finally:
        assert s.stop() == 0
