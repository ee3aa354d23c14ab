"""Voicemail through `hotline serve`: a SIPp caller dials a number the dial plan
sends to box 1002, hears the greeting and the beep, speaks (SIPp plays a G.711
A-law recording from a pcap) and hangs up. The message is kept, announced by a
`voicemail.message` event, listed by the API with its caller and a plausible
duration, and its WAV downloads and is not silence (sox). Deleting it removes the
row and the file. A second caller reaches a box through an IVR voicemail node and
stays silent after speaking: the silence ends the message and hotline hangs up
after its goodbye."""

import json
import sqlite3
import subprocess
import urllib.request

from conftest import http_get
from carrier_call import OK_TO_BYE, cdata
from sip_helpers import SCENARIOS, sip_extra

PCAP = "/usr/share/sip-tester/g711a.pcap"  # 7.05 s of speech, payload type 8


def scenario(listen_ms, ending):
    """caller-invite-auth.xml offering PCMA: once answered the caller listens
    `listen_ms` (greeting and beep), speaks (the pcap), then does `ending`."""
    text = (SCENARIOS / "caller-invite-auth.xml").read_text()
    text = text.replace("RTP/AVP 0 101", "RTP/AVP 8 101").replace("a=rtpmap:0 PCMU/8000",
                                                                  "a=rtpmap:8 PCMA/8000")
    talk = text.index("  <pause/>")
    head, bye = text[:talk], text[text.index("\n", talk) + 1:text.index("</scenario>")]
    ending = ending.replace("BYE_TAIL", bye)
    return (head + f'  <pause milliseconds="{listen_ms}"/>\n'
            f'  <nop><action><exec play_pcap_audio="{PCAP}"/></action></nop>\n'
            f"{ending}</scenario>\n")


# The caller hangs up once the recording has played.
HANG_UP = '  <pause milliseconds="7500"/>\nBYE_TAIL'

# The caller stays on the line, silent once the recording has played, until hotline
# hangs up.
WAIT_FOR_BYE = f'  <recv request="BYE" timeout="40000"/>\n  <send>{cdata(OK_TO_BYE)}</send>\n'

CALLS = """
media: { address: 127.0.0.1, rtp_ports: 31000-31999 }
dialplan:
  - { name: mailbox, number: "500", to: { voicemail: "1002" } }
voicemail:
  silence: 20s            # the caller's hang-up ends this message
  beep_length: 200ms
  boxes:
    "1002": { greeting: { tts: "Hello." }, max_length: 60s }
"""


def sox_rms(path):
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True)
    stats = {}
    for line in out.stderr.splitlines():
        key, _, value = line.partition(":")
        stats[key.strip()] = value.strip()
    return float(stats["RMS     amplitude"]), float(stats["Length (seconds)"]), stats


def call(tmp_path, number, listen_ms, ending, media_port=32100):
    path = tmp_path / f"voicemail-caller-{number}.xml"
    path.write_text(scenario(listen_ms, ending))
    sipp = subprocess.run(
        ["sipp", "127.0.0.1:5060", "-sf", str(path), "-t", "u1", "-i", "127.0.0.1",
         "-p", "0", "-m", "1", "-s", number, "-au", "1001", "-ap", "pw-1001",
         "-auth_uri", f"{number}@127.0.0.1:5060", "-mp", str(media_port), "-timeout", "60s",
         "-timeout_error", "-nostdin"],
        capture_output=True, text=True, timeout=90, cwd=tmp_path)
    assert sipp.returncode == 0, sipp.stdout + sipp.stderr


def test_a_caller_leaves_a_message_listed_and_downloadable(serve, tmp_path):
    server, port, _ = serve(extra=sip_extra(qualify="0s") + CALLS)
    call(tmp_path, "500", 2500, HANG_UP)
    server.wait_for("msg=message")  # stored (after the hang-up finalised the file)

    status, ctype, body = http_get(port, "/api/v1/voicemail?box=1002")
    assert status == 200, body
    messages = json.loads(body)["messages"]
    assert len(messages) == 1, messages
    m = messages[0]
    assert m["box"] == "1002" and m["caller"] == "1001" and not m["heard"]
    # Recording starts after greeting + beep (~1.5 s) and ends at the BYE 10 s after
    # the answer; the pcap speaks for 7 s of it.
    assert 5.0 <= m["duration_s"] <= 10.5, m

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{m['audio']}", timeout=10) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "audio/wav"
        wav = r.read()
    path = tmp_path / "message.wav"
    path.write_bytes(wav)
    rms, length, stats = sox_rms(path)
    assert abs(length - m["duration_s"]) < 0.1, stats
    assert rms > 0.01, stats  # speech, not silence (full scale = 1.0)
    status, _, body = http_get(port, f"/api/v1/voicemail/{m['id']}")
    assert status == 200 and json.loads(body)["heard"], body  # downloading marks it heard

    status, _, body = http_get(port, "/api/v1/voicemail?box=1001")
    assert status == 200 and json.loads(body)["messages"] == []
    assert http_get(port, "/api/v1/voicemail/999")[0] == 404
    assert http_get(port, "/api/v1/voicemail?limit=0")[0] == 400

    stored = list((tmp_path / "data" / "voicemail").rglob("*.wav"))
    assert len(stored) == 1, stored
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/voicemail/{m['id']}",
                                 method="DELETE")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 204
    assert http_get(port, f"/api/v1/voicemail/{m['id']}")[0] == 404
    assert not stored[0].exists()

    server.stop()
    db = sqlite3.connect(tmp_path / "data" / "hotline.db")
    rows = db.execute("SELECT type, payload FROM events WHERE type LIKE 'voicemail.%' OR "
                      "type = 'call.ended' ORDER BY seq").fetchall()
    types = [t for t, _ in rows]
    assert types == ["voicemail.started", "call.ended", "voicemail.message"], types
    event = json.loads(rows[-1][1])
    assert event["box"] == "1002" and event["caller"] == "1001"
    assert event["ended_by"] == "hangup" and event["id"] == m["id"]


def test_silence_ends_the_message_and_hotline_says_goodbye(serve, tmp_path):
    """Through an IVR voicemail node and the default greeting; the caller speaks,
    then stays silent: 3 s of silence end the message, hotline says goodbye and
    hangs up."""
    flows = tmp_path / "vm.yaml"
    flows.write_text("flows:\n  mailbox:\n    start: box\n    nodes:\n"
                     "      box: { type: voicemail, box: general }\n")
    server, port, _ = serve(extra=sip_extra(qualify="0s") + f"""
media: {{ address: 127.0.0.1, rtp_ports: 31000-31999 }}
dialplan:
  - {{ name: menu, number: "600", to: {{ ivr: mailbox }} }}
ivr: {{ files: ["{flows}"] }}
voicemail: {{ silence: 3s }}
""")
    call(tmp_path, "600", 4000, WAIT_FOR_BYE)  # passes only if hotline sent the BYE
    server.wait_for("msg=message")
    status, _, body = http_get(port, "/api/v1/voicemail?box=general")
    assert status == 200, body
    (m,) = json.loads(body)["messages"]
    # ~7 s of speech and the 3 s of silence that ended it.
    assert 9.0 <= m["duration_s"] <= 13.0, m
    server.stop()
    db = sqlite3.connect(tmp_path / "data" / "hotline.db")
    rows = db.execute("SELECT type, payload FROM events WHERE type IN ('voicemail.message', "
                      "'call.ended', 'ivr.ended') ORDER BY seq").fetchall()
    assert [t for t, _ in rows] == ["ivr.ended", "voicemail.message", "call.ended"], rows
    assert json.loads(rows[0][1])["to"] == "voicemail:general"
    assert json.loads(rows[1][1])["ended_by"] == "silence"
    assert json.loads(rows[2][1])["cause"] == "ivr-hangup"
