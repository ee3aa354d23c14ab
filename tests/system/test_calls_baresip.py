"""Calls between real softphones through `hotline serve`: three baresip phones
(1001 A, 1002 B, 1003 C) registered with digest, each sending its own tone from a
WAV file (aufile) and recording what it hears (the sndfile module). A calls B and audio flows both ways through
hotline's media engine; B holds A (A hears the music on hold) and resumes; B
transfers A to C (blind REFER). The event log tells the story and the recording
hotline made of the call holds both tones. baresip 1.0 cannot make an attended
transfer, so that one is driven by a small SIP user agent written here (B), with
baresip A and C as the parties that are joined."""

import json
import math
import socket
import sqlite3
import subprocess
import time
import uuid
import wave

import pytest

from sip_helpers import RawClient, digest_answer, header, reply_to, sip_extra

CALLS = """
media: { address: 127.0.0.1, rtp_ports: 31000-31999 }
calls:
  recording: { mode: stereo }
  music_on_hold: moh.wav
dialplan:
  - { name: extensions, number: { pattern: "10XX" }, from: extension, to: extension }
"""

TONES = {"1001": 500, "1002": 1100, "1003": 1700, "moh": 2300}  # Hz
SIP_PORTS = {"1001": 5072, "1002": 5074, "1003": 5076}  # TLS takes port + 1
CTRL_PORTS = {"1001": 4441, "1002": 4442, "1003": 4443}


def make_tone(path, freq, seconds=120):
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth",
                    str(seconds), "sine", str(freq), "vol", "0.5"], check=True)


class Phone:
    """A baresip process driven through its ctrl_tcp module (netstring JSON)."""

    def __init__(self, tmp_path, user, answer="auto"):
        self.user = user
        self.dir = tmp_path / f"baresip-{user}"
        self.dir.mkdir()
        self.source = self.dir / "tone.wav"
        self.dumps = self.dir / "dumps"  # the sndfile module writes what it hears here
        self.dumps.mkdir()
        make_tone(self.source, TONES[user])
        (self.dir / "config").write_text(
            f"sip_listen\t\t127.0.0.1:{SIP_PORTS[user]}\n"
            "net_interface\t\t127.0.0.1\n"
            "rtp_ports\t\t40000-40999\n"
            "module_path\t\t/usr/lib/baresip/modules\n"
            "module\t\t\tg711.so\n"
            "module\t\t\taufile.so\n"
            "module\t\t\taubridge.so\n"
            "module\t\t\tsndfile.so\n"
            "module\t\t\taccount.so\n"
            "module_app\t\tmenu.so\n"
            "module_app\t\tctrl_tcp.so\n"
            f"ctrl_tcp_listen\t\t127.0.0.1:{CTRL_PORTS[user]}\n"
            f"snd_path\t\t{self.dumps}\n"
            f"audio_player\t\taubridge,{user}\n"
            f"audio_source\t\taufile,{self.source}\n"
            "audio_alert\t\taufile,/dev/null\n")
        (self.dir / "accounts").write_text(
            f"<sip:{user}@127.0.0.1;transport=udp>;auth_pass=pw-{user};regint=600;"
            f"answermode={answer}\n")
        self.log = self.dir / "baresip.log"  # a file: a full pipe would stall baresip
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(["baresip", "-4", "-f", str(self.dir)],
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        self.sock = None
        self.buffer = b""
        self.events = []

    def heard(self):
        """The WAV of what the phone received in its (one) call."""
        files = sorted(self.dumps.glob("*-dec.wav"))
        assert len(files) == 1, files
        return files[0]

    def connect(self):
        deadline = time.monotonic() + 20
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", CTRL_PORTS[self.user]), 2)
                self.sock.settimeout(30)
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.1)  # baresip is still starting: retry the connect

    def _message(self):
        while True:
            colon = self.buffer.find(b":")
            if colon > 0:
                n = int(self.buffer[:colon])
                if len(self.buffer) >= colon + 1 + n + 1:
                    body = self.buffer[colon + 1:colon + 1 + n]
                    self.buffer = self.buffer[colon + 1 + n + 1:]
                    return json.loads(body)
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError(f"baresip {self.user} closed its control socket")
            self.buffer += data

    def command(self, command, params=""):
        token = uuid.uuid4().hex[:8]
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")
        while True:
            m = self._message()
            if m.get("response") and m.get("token") == token:
                assert m.get("ok"), m
                return m.get("data", "")
            self.events.append(m)

    def wait_event(self, kind):
        """Waits for baresip's event `kind` (CALL_ESTABLISHED, CALL_CLOSED, ...)."""
        for i, m in enumerate(self.events):
            if m.get("type") == kind:
                del self.events[:i + 1]
                return m
        while True:
            m = self._message()
            if m.get("event") and m.get("type") == kind:
                return m

    def stop(self):
        if self.sock:
            self.sock.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.log.read_text(errors="replace")


@pytest.fixture
def phones(tmp_path):
    started = []

    def _start(*users, answer="auto"):
        out = [Phone(tmp_path, u, answer) for u in users]
        started.extend(out)
        for p in out:
            p.connect()
        return out

    yield _start
    for p in started:
        out = p.stop()
        print(f"---- baresip {p.user}\n{out}")  # shown when the test fails


def tone_power(samples, rate, freq):
    """Goertzel: the power of `freq` in `samples`."""
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def dominant_tones(path, channel=0, window_s=0.5):
    """For each window of the WAV with sound in it, which of TONES is strongest."""
    with wave.open(str(path)) as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        assert width == 2, path
        raw = w.readframes(w.getnframes())
    samples = [int.from_bytes(raw[i:i + 2], "little", signed=True)
               for i in range(2 * channel, len(raw), 2 * channels)]
    n = int(rate * window_s)
    out = []
    for start in range(0, len(samples) - n + 1, n):
        chunk = samples[start:start + n]
        energy = sum(x * x for x in chunk) / n
        if energy < 1e4:  # silence (RMS < 100)
            out.append(None)
            continue
        powers = {u: tone_power(chunk, rate, f) for u, f in TONES.items()}
        best = max(powers, key=powers.get)
        # The tone must dominate: most of the window's energy.
        out.append(best if powers[best] > 0.5 * energy * n * n / 4 else "other")
    return out


def event_rows(tmp_path):
    db = sqlite3.connect(tmp_path / "data" / "hotline.db")
    rows = db.execute("SELECT type, interaction_id, payload FROM events "
                      "WHERE type LIKE 'call.%' ORDER BY seq").fetchall()
    return [(t, i, json.loads(p)) for t, i, p in rows]


def test_call_hold_and_blind_transfer_between_baresip_phones(serve, phones, tmp_path):
    make_tone(tmp_path / "moh.wav", TONES["moh"], seconds=10)  # the music on hold
    server, _, _ = serve(extra=sip_extra(qualify="0s") + CALLS)
    a, b, c = phones("1001", "1002", "1003")
    for user in ("1001", "1002", "1003"):
        server.wait_for(f'msg="contact registered" aor={user}')

    # A calls B; B answers on its own (answermode=auto).
    a.command("dial", "sip:1002@127.0.0.1")
    a.wait_event("CALL_ESTABLISHED")
    b.wait_event("CALL_ESTABLISHED")
    server.wait_for("type=call.recording_started")
    time.sleep(4)  # talk: seconds of both tones through hotline

    # B holds A, then resumes.
    b.command("hold")
    server.wait_for("type=call.held")
    time.sleep(3)  # A listens to the music on hold
    b.command("resume")
    server.wait_for("type=call.resumed")

    # B transfers A to C; C answers on its own; B's leg is released.
    b.command("transfer", "sip:1003@127.0.0.1")
    server.wait_for("type=call.transferred")
    c.wait_event("CALL_ESTABLISHED")
    b.wait_event("CALL_CLOSED")
    time.sleep(5)  # A and C talk
    a.command("hangup")
    c.wait_event("CALL_CLOSED")
    server.wait_for("type=call.ended")
    server.wait_for("type=call.recording_stopped")
    for p in (a, b, c):
        p.stop()  # closes the WAVs they recorded

    # What each phone heard, in half-second windows. (Windows are counted loosely:
    # a phone's dump starts once its decoder runs, and the machine may be busy.)
    heard_a = dominant_tones(a.heard())
    heard_b = dominant_tones(b.heard())
    heard_c = dominant_tones(c.heard())
    assert heard_a.count("1002") >= 2, str(heard_a)  # B's tone
    assert heard_a.count("moh") >= 2, str(heard_a)  # the music on hold
    assert heard_a.count("1003") >= 2, str(heard_a)  # then C's tone
    assert (heard_a.index("1002") < heard_a.index("moh") <
            len(heard_a) - 1 - heard_a[::-1].index("1003")), str(heard_a)
    assert heard_b.count("1001") >= 2 and "1003" not in heard_b, str(heard_b)
    assert heard_c.count("1001") >= 2 and "1002" not in heard_c, str(heard_c)

    server.stop()
    rows = event_rows(tmp_path)
    types = [t for t, _, _ in rows]
    for t in ("call.connected", "call.recording_started", "call.held", "call.resumed",
              "call.transfer_requested", "call.transferred", "call.ended",
              "call.recording_stopped"):
        assert t in types, (t, types)
    assert types.index("call.held") < types.index("call.resumed") < types.index(
        "call.transferred")
    assert len({i for _, i, _ in rows}) == 1  # one call from start to end
    held = next(p for t, _, p in rows if t == "call.held")
    assert held["by"] == "callee"
    moved = next(p for t, _, p in rows if t == "call.transferred")
    assert moved["kind"] == "blind" and moved["to"] == "1003"
    ended = next(p for t, _, p in rows if t == "call.ended")
    assert ended["cause"] == "caller-hangup"
    # hotline's recording: A on the left, B (then C) on the right.
    stopped = next(p for t, _, p in rows if t == "call.recording_stopped")
    assert stopped["duration_s"] > 8, stopped
    left = dominant_tones(stopped["path"], channel=0)
    right = dominant_tones(stopped["path"], channel=1)
    assert left.count("1001") >= 8, str(left)
    assert right.count("1002") >= 2 and right.count("1003") >= 2, str(right)


class RawPhone:
    """Extension 1002 as a minimal SIP user agent on one UDP socket: it answers a
    call, makes one (digest), and sends an attended-transfer REFER."""

    def __init__(self):
        self.sock = RawClient("udp", timeout=20)
        host, port = self.sock.local
        self.contact = f"<sip:1002@{host}:{port}>"
        self.sdp = (f"v=0\r\no=b 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
                    "m=audio 41990 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        self.pending = []  # messages received while waiting for another

    def register(self):
        call_id = uuid.uuid4().hex
        _, headers = self.sock.register("1002", 1, call_id)
        auth = digest_answer(header(headers, "www-authenticate")[0], "1002", "pw-1002")
        status, _ = self.sock.register("1002", 2, call_id, authorization=auth)
        assert status == 200

    def receive(self, want):
        """The next message for which want(first_line, headers) holds; answers
        NOTIFY and BYE requests with 200 on the way and keeps other messages."""
        for i, m in enumerate(self.pending):
            if want(*m[:2]):
                return self.pending.pop(i)
        while True:
            text = self.sock.recv().decode(errors="replace")
            head, _, body = text.partition("\r\n\r\n")
            lines = head.split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), []).append(value.strip())
            m = (lines[0], headers, body, lines)
            if lines[0].split()[0] in ("NOTIFY", "BYE"):
                self.reply(lines, 200, "OK")
            if want(lines[0], headers):
                return m
            self.pending.append(m)

    def reply(self, lines, status, reason, body="", to_tag=None):
        reply_to(self.sock, lines, status, reason, self.contact, to_tag, body)

    def request(self, method, uri, call_id, from_, to, cseq, extra=(), body=""):
        host, port = self.sock.local
        branch = "z9hG4bK" + uuid.uuid4().hex
        lines = [f"{method} {uri} SIP/2.0", f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport",
                 f"From: {from_}", f"To: {to}", f"Call-ID: {call_id}",
                 f"CSeq: {cseq} {method.split()[0]}", f"Contact: {self.contact}",
                 "Max-Forwards: 70", *extra]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body)}")
        self.sock.send(("\r\n".join(lines) + "\r\n\r\n" + body).encode())
        return branch


def uri_of(name_addr):
    return name_addr[name_addr.index("<") + 1:name_addr.index(">")]


def test_attended_transfer_joins_the_two_other_parties(serve, phones, tmp_path):
    make_tone(tmp_path / "moh.wav", TONES["moh"], seconds=10)
    server, _, _ = serve(extra=sip_extra(qualify="0s") + CALLS)
    a, c = phones("1001", "1003")
    b = RawPhone()
    b.register()
    for user in ("1001", "1002", "1003"):
        server.wait_for(f'msg="contact registered" aor={user}')

    # A calls B: B answers (dialog 1, hotline is the caller side).
    a.command("dial", "sip:1002@127.0.0.1")
    _, inv, _, lines = b.receive(lambda first, h: first.startswith("INVITE"))
    b.reply(lines, 200, "OK", b.sdp, to_tag="b1")
    b.receive(lambda first, h: first.startswith("ACK"))
    a.wait_event("CALL_ESTABLISHED")
    d1 = {"call_id": inv["call-id"][0], "hotline": inv["from"][0], "me": inv["to"][0] + ";tag=b1",
          "target": uri_of(inv["contact"][0])}

    # B calls C (dialog 2), authenticating with digest.
    call_id = uuid.uuid4().hex
    me2 = "<sip:1002@127.0.0.1>;tag=b2"
    b.request("INVITE", "sip:1003@127.0.0.1", call_id, me2, "<sip:1003@127.0.0.1>", 1, body=b.sdp)
    first, h, _, _ = b.receive(lambda first, h: h.get("call-id") == [call_id] and
                               not first.startswith("SIP/2.0 1"))
    assert first.startswith("SIP/2.0 401"), first
    b.request("ACK", "sip:1003@127.0.0.1", call_id, me2, h["to"][0], 1)
    auth = digest_answer(h["www-authenticate"][0], "1002", "pw-1002", method="INVITE",
                         uri="sip:1003@127.0.0.1")
    b.request("INVITE", "sip:1003@127.0.0.1", call_id, me2, "<sip:1003@127.0.0.1>", 2,
              extra=[f"Authorization: {auth}"], body=b.sdp)
    first, h, _, _ = b.receive(lambda first, h: h.get("call-id") == [call_id] and
                               not first.startswith("SIP/2.0 1"))
    assert first.startswith("SIP/2.0 200"), first
    hotline_tag = h["to"][0].split(";tag=")[1]
    b.request("ACK", uri_of(h["contact"][0]), call_id, me2, h["to"][0], 2)
    c.wait_event("CALL_ESTABLISHED")
    server.wait_for("type=call.connected call=2")

    # B refers A (dialog 1) to C, replacing dialog 2: hotline joins A and C.
    replaces = f"{call_id}%3Bto-tag%3D{hotline_tag}%3Bfrom-tag%3Db2"
    b.request("REFER", d1["target"], d1["call_id"], d1["me"], d1["hotline"], 1,
              extra=[f"Refer-To: <sip:1003@127.0.0.1?Replaces={replaces}>"])
    first, _, _, _ = b.receive(lambda first, h: first.startswith("SIP/2.0") and
                               h.get("cseq") == ["1 REFER"])
    assert first.startswith("SIP/2.0 202"), first
    _, _, frag, _ = b.receive(lambda first, h: first.startswith("NOTIFY") and
                              "terminated" in h.get("subscription-state", [""])[0])
    assert frag.startswith("SIP/2.0 200"), frag
    byes = set()
    while len(byes) < 2:  # hotline releases both of B's legs
        _, h, _, _ = b.receive(lambda first, h: first.startswith("BYE"))
        byes.add(h["call-id"][0])
    assert byes == {d1["call_id"], call_id}
    server.wait_for("type=call.transferred")
    time.sleep(5)  # A and C talk
    a.command("hangup")
    c.wait_event("CALL_CLOSED")
    server.wait_for("type=call.ended call=1")
    for p in (a, c):
        p.stop()
    heard_a = dominant_tones(a.heard())
    heard_c = dominant_tones(c.heard())
    assert heard_a.count("1003") >= 2 and "1002" not in heard_a, str(heard_a)  # A hears C
    assert heard_c.count("1001") >= 2 and "1002" not in heard_c, str(heard_c)  # and C, A
    b.sock.close()

    server.stop()
    rows = event_rows(tmp_path)
    moved = [(i, p) for t, i, p in rows if t == "call.transferred"]
    assert len(moved) == 1 and moved[0][1]["kind"] == "attended", moved
    assert moved[0][1]["to"] == "1003"
    ends = {i: p["cause"] for t, i, p in rows if t == "call.ended"}
    assert sorted(ends.values()) == ["caller-hangup", "transferred"], ends
    assert ends[moved[0][0]] == "caller-hangup"  # the surviving call is A's
