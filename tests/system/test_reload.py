"""SIGHUP reloads call routing without a restart: a number the dial plan rejects
is routed to an IVR flow after the configuration is rewritten and hotline gets a
SIGHUP; the reload is logged and listed in the event log."""

import json
import signal
import sqlite3

from sip_helpers import sip_extra
from test_calls import caller

BEFORE = """
media: { address: 127.0.0.1, rtp_ports: 31000-31999 }
dialplan:
  - { name: closed, number: "777", to: { reject: 403 } }
"""

FLOW = """
flows:
  hello:
    start: greet
    nodes:
      greet:
        type: play
        prompt:
          tts: Hello. This number was switched on by a configuration reload, without a restart.
        next: bye
      bye:
        type: hangup
"""


def test_sighup_routes_a_rejected_number_to_an_ivr_flow(serve, tmp_path):
    server, _, cfg = serve(extra=sip_extra(qualify="0s") + BEFORE)
    sipp = caller("777")
    out, err = sipp.communicate(timeout=60)
    assert sipp.returncode != 0 and ("SIP/2.0 403" in out + err or "'403'" in out + err), out + err

    (tmp_path / "hello.yaml").write_text(FLOW)
    text = cfg.read_text().replace('to: { reject: 403 } }', 'to: { ivr: hello } }')
    cfg.write_text(text + 'ivr: { files: ["hello.yaml"] }\n')
    server.proc.send_signal(signal.SIGHUP)
    server.wait_for("setting=dialplan")
    server.wait_for("setting=ivr")
    server.wait_for("call routing reloaded")

    sipp = caller("777")
    out, err = sipp.communicate(timeout=60)
    assert sipp.returncode == 0, out + err  # answered by the flow, BYE after 1 s
    server.stop()
    db = sqlite3.connect(tmp_path / "data" / "hotline.db")
    rows = db.execute("SELECT type, payload FROM events WHERE type IN "
                      "('system.config_reloaded', 'ivr.started') ORDER BY seq").fetchall()
    assert [t for t, _ in rows] == ["system.config_reloaded", "ivr.started"], rows
    reloaded = json.loads(rows[0][1])
    assert set(reloaded["applied"]) == {"dialplan", "ivr"}, reloaded
    assert reloaded["needs_restart"] == [], reloaded
