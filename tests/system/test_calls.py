"""Calls through `hotline serve`: extension 1001 (SIPp) calls extension 1002 (a
minimal user agent in this test, registered with digest) through the B2BUA —
digest on the INVITE, ringing, an answer with hotline's own SDP (media anchored),
BYE passed on — and the event log tells the story. Dial-plan rejections too."""

import json
import re
import sqlite3
import subprocess
import uuid

from conftest import SOURCE_DIR
from sip_helpers import SCENARIOS, RawClient, digest_answer, header, reply_to, sip_extra

CALLS = """
media: { address: 127.0.0.1, rtp_ports: 31000-31999 }
dialplan:
  - { name: extensions, number: { pattern: "10XX" }, from: extension, to: extension }
  - { name: blocked, number: "666", to: { reject: 403 } }
"""


def caller(number, user="1001", media_port=32100, talk_ms=1000):
    """SIPp calling `number` as `user` (INVITE, digest, ACK, talk_ms, BYE)."""
    args = ["sipp", "127.0.0.1:5060", "-sf", str(SCENARIOS / "caller-invite-auth.xml"),
            "-t", "u1", "-i", "127.0.0.1", "-p", "0", "-m", "1", "-s", number,
            "-au", user, "-ap", f"pw-{user}", "-auth_uri", f"{number}@127.0.0.1:5060",
            "-mp", str(media_port), "-d", str(talk_ms), "-timeout", "30s", "-timeout_error",
            "-nostdin"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=SCENARIOS.parent)


def register(client, user):
    call_id = uuid.uuid4().hex
    _, headers = client.register(user, 1, call_id)
    auth = digest_answer(header(headers, "www-authenticate")[0], user, f"pw-{user}")
    status, _ = client.register(user, 2, call_id, authorization=auth)
    assert status == 200


def receive_request(client):
    text = client.recv().decode(errors="replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    return lines[0].split()[0], lines, body


def reply(client, lines, status, reason, tag, body=""):
    host, port = client.local
    reply_to(client, lines, status, reason, f"<sip:1002@{host}:{port}>", tag, body)


def test_extension_calls_extension_through_the_b2bua(serve, tmp_path):
    server, port, _ = serve(extra=sip_extra(qualify="0s") + CALLS)
    phone = RawClient("udp", timeout=20)
    register(phone, "1002")
    sipp = caller("1002")
    try:
        method, lines, offer = receive_request(phone)
        assert method == "INVITE"
        # hotline offers its own media address, on behalf of the caller 1001.
        assert "c=IN IP4 127.0.0.1" in offer
        assert re.search(r"m=audio (3[01]\d\d\d) RTP/AVP", offer), offer
        assert any(line.lower().startswith("from:") and "1001" in line for line in lines)
        reply(phone, lines, 180, "Ringing", "ph1")
        answer = ("v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                  "m=audio 33000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        reply(phone, lines, 200, "OK", "ph1", answer)
        method, _, _ = receive_request(phone)
        assert method == "ACK"
        # The caller hangs up after 1 s; hotline passes the BYE on.
        method, lines, _ = receive_request(phone)
        assert method == "BYE"
        reply(phone, lines, 200, "OK", "ph1")
        out, err = sipp.communicate(timeout=60)
        assert sipp.returncode == 0, out + err
    finally:
        if sipp.poll() is None:
            sipp.kill()
        phone.close()
    # A graceful stop flushes the event log; then read the call's story from it.
    server.stop()
    db = sqlite3.connect(tmp_path / "data" / "hotline.db")
    rows = db.execute("SELECT type, interaction_id, payload FROM events "
                      "WHERE type LIKE 'call.%' ORDER BY seq").fetchall()
    types = [r[0] for r in rows]
    assert types == ["call.created", "call.routed", "call.ringing_devices", "call.ringing",
                     "call.answered", "call.connected", "call.ended"], types
    assert len({r[1] for r in rows}) == 1 and rows[0][1]  # one call id on every event
    created, ended = json.loads(rows[0][2]), json.loads(rows[-1][2])
    assert created["caller"] == "1001" and created["dialled"] == "1002"
    assert ended["cause"] == "caller-hangup" and ended["talk_s"] > 0.5


def test_a_rejected_number_and_an_unknown_one(serve):
    serve(extra=sip_extra(qualify="0s") + CALLS)
    for number, status in (("666", "403"), ("5555", "404")):
        sipp = caller(number)
        out, err = sipp.communicate(timeout=60)
        assert sipp.returncode != 0  # the scenario waits for a 200
        assert f"SIP/2.0 {status}" in out + err or f"'{status}'" in out + err, out + err


def test_the_demo_menu_answers_and_speaks(serve, tmp_path):
    demo = SOURCE_DIR / "config" / "ivr" / "demo.yaml"
    server, _, _ = serve(extra=sip_extra(qualify="0s") + CALLS +
                         '  - { name: demo, number: "100", to: { ivr: demo } }\n' +
                         f'ivr: {{ files: ["{demo}"] }}\n' +
                         "queues: { sales: {}, support: {} }\n")
    sipp = caller("100")
    out, err = sipp.communicate(timeout=60)
    assert sipp.returncode == 0, out + err  # answered by the IVR, then BYE after 1 s
    server.stop()
    db = sqlite3.connect(tmp_path / "data" / "hotline.db")
    rows = db.execute("SELECT type, payload FROM events WHERE type LIKE 'ivr.%' OR type = "
                      "'call.ended' ORDER BY seq").fetchall()
    types = [r[0] for r in rows]
    assert types[0] == "ivr.started", types
    nodes = [json.loads(p)["node"] for t, p in rows if t == "ivr.node_entered"]
    assert nodes[:2] == ["screen", "hours"], nodes  # then open or closed, by the clock
    assert json.loads(rows[-1][1])["cause"] == "caller-hangup"
    # The first prompt was synthesised (espeak-ng) into the prompt cache.
    prompts = list((tmp_path / "data" / "prompts").glob("*.wav"))
    assert prompts, "no synthesised prompt"


QUEUES = """
skills: [sales]
queues:
  sales: { strategy: longest-idle, ring_timeout: 15s }
agents:
  agent-1: { extensions: ["1001"], skills: { sales: 5 }, queues: [sales] }
"""


def test_a_queued_call_reaches_the_agent_who_logged_in(serve, tmp_path):
    server, _, _ = serve(extra=sip_extra(qualify="0s") + CALLS +
                         '  - { name: sales, number: "200", to: { queue: sales } }\n' + QUEUES)
    phone = RawClient("udp", timeout=20)  # agent-1's desk phone, extension 1001
    register(phone, "1001")
    login = caller("*50", user="1001", media_port=32300)
    out, err = login.communicate(timeout=60)
    assert login.returncode == 0, out + err
    # A customer (here extension 1002) calls the sales queue and stays on the line.
    customer = caller("200", user="1002", media_port=32400, talk_ms=8000)
    try:
        method, lines, offer = receive_request(phone)
        assert method == "INVITE" and "c=IN IP4 127.0.0.1" in offer
        answer = ("v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                  "m=audio 33100 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        reply(phone, lines, 200, "OK", "ag1", answer)
        assert receive_request(phone)[0] == "ACK"
        method, lines, _ = receive_request(phone)  # the customer hangs up
        assert method == "BYE"
        reply(phone, lines, 200, "OK", "ag1")
        out, err = customer.communicate(timeout=60)
        assert customer.returncode == 0, out + err
    finally:
        if customer.poll() is None:
            customer.kill()
        phone.close()
    server.stop()
    db = sqlite3.connect(tmp_path / "data" / "hotline.db")
    types = [r[0] for r in db.execute("SELECT type FROM events ORDER BY seq")]
    for t in ("agent.state_changed", "interaction.queued", "interaction.offered",
              "interaction.answered"):
        assert t in types, (t, types)
    assert types.index("interaction.queued") < types.index("interaction.answered")
