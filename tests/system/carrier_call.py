"""A carrier's caller for the system tests: SIPp places one call from a trunk
address (no digest: trunks are identified by source address), presses keys as
RFC 2833 telephone-events (the pcaps Debian's sip-tester ships), then waits for
hotline to hang up — or hangs up itself after `hangup_after_ms`.

Also the event-log reader and a desk phone that answers and hangs up, shared by
test_ivr_menu.py and test_trunks.py."""

import json
import sqlite3
import struct
import subprocess
import uuid
from pathlib import Path

from sip_helpers import RawClient, digest_answer, header, reply_to

PCAPS = Path("/usr/share/sip-tester")
PCAP_NAMES = {"*": "star", "#": "pound"}

INVITE = """INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{caller}@[local_ip]>;tag=[pid]k[call_number]
To: <sip:[service]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=carrier 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
"""

IN_DIALOG = """{method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{caller}@[local_ip]>;tag=[pid]k[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: {cseq} {method}
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
"""

OK_TO_BYE = """SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
"""


def key_pcap(path, keys, gap_ms=700):
    """Writes one pcap pressing `keys` `gap_ms` apart, made of Debian's one-key
    pcaps. Each key is its own RFC 2833 event (RTP timestamp and sequence moved on):
    the one-key files all carry the same timestamp, so played one after another a
    receiver rightly takes them for retransmissions of a single key press."""
    out = [None]
    seq_shift, base = 0, None
    for i, key in enumerate(keys):
        data = (PCAPS / f"dtmf_2833_{PCAP_NAMES.get(key, key)}.pcap").read_bytes()
        if out[0] is None:
            out[0] = data[:24]  # the global header (little-endian, Ethernet)
        offset, first = 24, None
        while offset < len(data):
            sec, usec, incl, orig = struct.unpack("<IIII", data[offset:offset + 16])
            packet = bytearray(data[offset + 16:offset + 16 + incl])
            offset += 16 + incl
            t = sec * 1_000_000 + usec
            first = t if first is None else first
            base = t if base is None else base
            t = base + (t - first) + i * gap_ms * 1000
            rtp = 14 + 20 + 8  # Ethernet, IPv4 without options, UDP
            seq, stamp = struct.unpack(">HI", packet[rtp + 2:rtp + 8])
            struct.pack_into(">HI", packet, rtp + 2, (seq + seq_shift) & 0xFFFF,
                             (stamp + i * gap_ms * 8) & 0xFFFFFFFF)
            out.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, incl, orig) +
                       bytes(packet))
        seq_shift += 16
    Path(path).write_bytes(b"".join(out))
    return path


def cdata(text):
    return "<![CDATA[\n" + text + "\n]]>"


def caller_scenario(path, caller, keys="", key_gap_ms=700, first_key_ms=500,
                    hangup_after_ms=30000, expect=200):
    """Writes a SIPp UAC scenario: INVITE from `caller`; on `expect` (200) ACK,
    press `keys` (`key_gap_ms` apart), then wait up to
    `hangup_after_ms` for hotline's BYE (answered 200) before sending our own.
    With another `expect` (e.g. 403) the scenario ends on that final answer."""
    parts = ['<?xml version="1.0" encoding="ISO-8859-1" ?>',
             '<scenario name="carrier caller">',
             f'<send retrans="500">{cdata(INVITE.format(caller=caller))}</send>',
             '<recv response="100" optional="true"/>']
    if expect != 200:
        parts += [f'<recv response="{expect}"/>',
                  '<send>' + cdata(IN_DIALOG.format(method="ACK", caller=caller, cseq=1)
                                   .replace("[next_url]", "sip:[service]@[remote_ip]:[remote_port]")) +
                  '</send>', '</scenario>']
        Path(path).write_text("\n".join(parts) + "\n")
        return path
    parts += ['<recv response="180" optional="true"/>',
              '<recv response="183" optional="true"/>',
              '<recv response="200" rrs="true"/>',
              '<send>' + cdata(IN_DIALOG.format(method="ACK", caller=caller, cseq=1)) + '</send>']
    if keys:
        pcap = key_pcap(Path(path).with_suffix(".pcap"), keys, key_gap_ms)
        parts.append(f'<pause milliseconds="{first_key_ms}"/>')
        parts.append(f'<nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
    # Either hotline ends the call (BYE, answered), or we do after the wait.
    parts += [f'<recv request="BYE" timeout="{hangup_after_ms}" ontimeout="1"/>',
              f'<send next="2">{cdata(OK_TO_BYE)}</send>',
              '<label id="1"/>',
              '<send retrans="500">' + cdata(IN_DIALOG.format(method="BYE", caller=caller, cseq=2)) +
              '</send>',
              '<recv response="200"/>',
              '<label id="2"/>',
              '</scenario>']
    Path(path).write_text("\n".join(parts) + "\n")
    return path


def run_caller(scenario, number, bind="127.0.0.1", media_port=34000, timeout=120,
               background=False):
    args = ["sipp", "127.0.0.1:5060", "-sf", str(scenario), "-t", "u1", "-i", bind, "-p", "0",
            "-m", "1", "-s", number, "-mp", str(media_port), "-timeout", f"{timeout}s",
            "-timeout_error", "-nostdin"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(scenario).parent)
    if background:
        return proc
    out, err = proc.communicate(timeout=timeout + 30)
    return proc.returncode, out + err


def call_events(db_path):
    """Every event of the event log, grouped by call: {call id: [(type, payload)]},
    in the order they were written."""
    db = sqlite3.connect(db_path)
    try:
        rows = db.execute("SELECT type, interaction_id, payload FROM events ORDER BY seq").fetchall()
    finally:
        db.close()
    calls = {}
    for type_, interaction, payload in rows:
        if interaction:
            calls.setdefault(interaction, []).append((type_, json.loads(payload)))
    return calls


class DeskPhone:
    """An extension's phone (RawClient over UDP): registers with digest, and answers
    one incoming call and hangs it up itself on demand."""

    def __init__(self, user, password=None, timeout=60):
        self.user = user
        self.client = RawClient("udp", timeout=timeout)
        call_id = uuid.uuid4().hex
        _, headers = self.client.register(user, 1, call_id)
        auth = digest_answer(header(headers, "www-authenticate")[0], user,
                             password or f"pw-{user}")
        status, _ = self.client.register(user, 2, call_id, authorization=auth)
        assert status == 200, status
        self.invite = None

    def close(self):
        self.client.close()

    def receive(self):
        text = self.client.recv().decode(errors="replace")
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        return lines[0], lines, body

    def _reply(self, lines, status, reason, body=""):
        host, port = self.client.local
        reply_to(self.client, lines, status, reason, f"<sip:{self.user}@{host}:{port}>",
                 f"desk{self.user}", body)

    def answer(self, media_port=35000):
        """Waits for an INVITE, rings, answers with SDP and takes the ACK."""
        first, lines, _ = self.receive()
        assert first.startswith("INVITE "), first
        self.invite = lines
        self._reply(lines, 180, "Ringing")
        sdp = ("v=0\r\no=desk 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {media_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        self._reply(lines, 200, "OK", sdp)
        first, _, _ = self.receive()
        assert first.startswith("ACK "), first

    def hang_up(self):
        """Sends BYE in the answered dialog and waits for its 200."""
        def value(name):
            for line in self.invite[1:]:
                n, _, v = line.partition(":")
                if n.strip().lower() == name:
                    return v.strip()
            raise AssertionError(f"no {name} in the INVITE")
        contact = value("contact")
        target = contact[contact.find("<") + 1:contact.find(">")] if "<" in contact else contact
        host, port = self.client.local
        bye = "\r\n".join([
            f"BYE {target} SIP/2.0",
            f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{uuid.uuid4().hex};rport",
            f"From: {value('to')};tag=desk{self.user}",
            f"To: {value('from')}",
            f"Call-ID: {value('call-id')}",
            "CSeq: 1 BYE",
            "Max-Forwards: 70",
            "Content-Length: 0"]) + "\r\n\r\n"
        self.client.send(bye.encode())
        while True:
            first, lines, _ = self.receive()
            if first.startswith("SIP/2.0 "):
                assert first.split()[1] == "200", first
                return
            # A retransmitted request (e.g. the 200's INVITE) while we wait: ignore.
