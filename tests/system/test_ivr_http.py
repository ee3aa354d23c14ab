"""The IVR's HTTP lookup node through `hotline serve`, against a small HTTP server
run by this test: a JSON reply (the value is stored and read out), a reply slower
than the node's timeout (the failure path, on time), and a reply that is not JSON
(the failure path). Each call is a SIPp caller dialling a number routed to a flow
written here, whose first node is the lookup; the event log tells which path the
session took."""

import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from test_calls import caller
from sip_helpers import sip_extra


class Balance(BaseHTTPRequestHandler):
    """/ok: JSON; /slow: JSON after the release event (never within the node's
    timeout); /bad: not JSON. Every request's path is kept for the test."""

    requests = []
    release = threading.Event()

    def do_GET(self):
        Balance.requests.append(self.path)
        if self.path.startswith("/slow"):
            Balance.release.wait(30)
        body = (b"{not json" if self.path.startswith("/bad")
                else json.dumps({"balance": "42.50", "currency": "euros"}).encode())
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # hotline gave up (the slow case)

    def log_message(self, *args):
        pass


def flow(name, url):
    return f"""
  {name}:
    start: lookup
    nodes:
      lookup:
        type: http
        url: {url}
        timeout: 1s
        store: {{ balance: /balance, currency: /currency }}
        next: say_balance
        failure: sorry
      say_balance:
        type: play
        prompt: {{ tts: "Your balance is ${{balance}} ${{currency}}." }}
        next: wait
      sorry:
        type: play
        prompt: {{ tts: "Sorry, we cannot find your balance." }}
        next: wait
      wait:
        type: menu
        prompt: {{ tts: "Goodbye." }}
        choices: {{ "1": done }}
        timeout: 10s
        attempts: 1
        fallback: done
      done: {{ type: hangup }}
"""


def test_http_lookup_success_timeout_and_bad_json(serve, tmp_path):
    http = ThreadingHTTPServer(("127.0.0.1", 0), Balance)
    http.daemon_threads = True
    port = http.server_address[1]
    threading.Thread(target=http.serve_forever, daemon=True).start()
    flows = tmp_path / "lookup.yaml"
    flows.write_text("flows:" + flow("ok", f"http://127.0.0.1:{port}/ok?caller=${{caller}}") +
                     flow("slow", f"http://127.0.0.1:{port}/slow?caller=${{caller}}") +
                     flow("bad", f"http://127.0.0.1:{port}/bad?caller=${{caller}}"))
    calls = f"""
media: {{ address: 127.0.0.1, rtp_ports: 31000-31999 }}
dialplan:
  - {{ name: ok, number: "801", to: {{ ivr: ok }} }}
  - {{ name: slow, number: "802", to: {{ ivr: slow }} }}
  - {{ name: bad, number: "803", to: {{ ivr: bad }} }}
ivr: {{ files: ["{flows}"] }}
"""
    server, _, _ = serve(extra=sip_extra(qualify="0s") + calls)
    try:
        for i, number in enumerate(("801", "802", "803")):
            sipp = caller(number, media_port=32100 + 100 * i, talk_ms=3000)
            out, err = sipp.communicate(timeout=60)
            assert sipp.returncode == 0, out + err
    finally:
        Balance.release.set()
        http.shutdown()
    # The said value is in the synthesised prompt's text (logged at debug level).
    server.wait_for("Your balance is 42.50 euros.")
    assert "Sorry, we cannot find your balance." in server.log()
    server.stop()

    # hotline sent the caller's number, percent-encoded, to each URL.
    assert sorted(p.split("?")[0] for p in Balance.requests) == ["/bad", "/ok", "/slow"]
    assert all("caller=1001" in p for p in Balance.requests), Balance.requests

    db = sqlite3.connect(tmp_path / "data" / "hotline.db")
    rows = db.execute("SELECT interaction_id, type, payload FROM events WHERE type IN "
                      "('call.routed', 'ivr.node_entered', 'ivr.http_lookup') "
                      "ORDER BY seq").fetchall()
    by_call = {}
    for call, kind, payload in rows:
        by_call.setdefault(call, []).append((kind, json.loads(payload)))
    paths = {}
    for events in by_call.values():
        rule = next(p["rule"] for k, p in events if k == "call.routed")
        nodes = [p["node"] for k, p in events if k == "ivr.node_entered"]
        lookup = next(p for k, p in events if k == "ivr.http_lookup")
        paths[rule] = (nodes[:2], lookup)
    assert set(paths) == {"ok", "slow", "bad"}, paths

    nodes, lookup = paths["ok"]
    assert nodes == ["lookup", "say_balance"], nodes
    assert lookup["status"] == 200 and "error" not in lookup

    nodes, lookup = paths["bad"]
    assert nodes == ["lookup", "sorry"], nodes  # the reply came, but is not JSON
    assert lookup["status"] == 200

    nodes, lookup = paths["slow"]
    assert nodes == ["lookup", "sorry"], nodes
    assert lookup.get("error") == "timeout", lookup
    assert 900 <= lookup["ms"] < 3000, lookup  # the node's 1 s, not the server's pace
