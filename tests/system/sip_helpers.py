"""Helpers for the SIP system tests: SIPp runs, a tiny raw SIP client (UDP/TCP)
with digest answers, and hotline configuration snippets with demo extensions."""

import hashlib
import re
import socket
import subprocess
import uuid
from pathlib import Path

SCENARIOS = Path(__file__).parent / "sipp"

# Appended to conftest.write_config's sip.listen list: a TCP listener, registrar
# settings and three extensions.
def sip_extra(qualify="30s", auth="", tcp=True, more=""):
    text = ""
    if tcp:
        text += "    - { transport: tcp, address: 127.0.0.1:5060 }\n"
    text += more
    text += f"  qualify_interval: {qualify}\n"
    text += "  registrar: { min_expires: 30s, max_expires: 1h, default_expires: 10m }\n"
    if auth:
        text += f"  auth: {auth}\n"
    text += "extensions:\n"
    for n in range(1001, 1004):
        text += f"  - {{ user: '{n}', password: pw-{n} }}\n"
    return text


def users_file(tmp_path, users, password=None):
    path = tmp_path / f"users-{uuid.uuid4().hex[:6]}.csv"
    lines = ["SEQUENTIAL"]
    for u in users:
        pw = password or f"pw-{u}"
        lines.append(f"{u};[authentication username={u} password={pw}]")
    path.write_text("\n".join(lines) + "\n")
    return path


def sipp(scenario, transport="u1", calls=1, inf=None, port=5060, extra=()):
    args = ["sipp", f"127.0.0.1:{port}", "-sf", str(SCENARIOS / scenario), "-t", transport,
            "-i", "127.0.0.1", "-p", "0", "-m", str(calls), "-timeout", "20s",
            "-timeout_error", "-nostdin", *extra]
    if inf:
        args += ["-inf", str(inf)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60,
                          cwd=SCENARIOS.parent)


def parse_response(data):
    text = data.decode(errors="replace")
    head, _, _ = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return status, headers


def header(headers, name):
    return [v for n, v in headers if n == name.lower()]


class RawClient:
    """One UDP or TCP socket speaking SIP to hotline at 127.0.0.1:5060."""

    def __init__(self, transport="udp", port=5060, timeout=10, bind="127.0.0.1"):
        self.transport = transport
        self.addr = ("127.0.0.1", port)
        kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.settimeout(timeout)
        self.sock.bind((bind, 0))
        if transport == "tcp":
            self.sock.connect(self.addr)
        self.local = self.sock.getsockname()
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        if self.transport == "udp":
            self.sock.sendto(data, self.addr)
        else:
            self.sock.sendall(data)

    def recv(self):
        if self.transport == "udp":
            data, _ = self.sock.recvfrom(65536)
            return data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", self.buf[:end])
                length = int(m.group(1)) if m else 0
                total = end + 4 + length
                if len(self.buf) >= total:
                    out, self.buf = self.buf[:total], self.buf[total:]
                    return out
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def request(self, data):
        self.send(data)
        return self.recv()

    def register(self, user, cseq, call_id, authorization=None, expires=300, contact=None):
        host, port = self.local
        contact = contact or f"<sip:{user}@{host}:{port};transport={self.transport}>"
        via = f"SIP/2.0/{self.transport.upper()} {host}:{port};branch=z9hG4bK{uuid.uuid4().hex};rport"
        lines = [f"REGISTER sip:127.0.0.1 SIP/2.0", f"Via: {via}",
                 f"From: <sip:{user}@127.0.0.1>;tag={call_id[:8]}", f"To: <sip:{user}@127.0.0.1>",
                 f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER", f"Contact: {contact}",
                 "Max-Forwards: 70", f"Expires: {expires}"]
        if authorization:
            lines.append(f"Authorization: {authorization}")
        lines.append("Content-Length: 0")
        return parse_response(self.request(("\r\n".join(lines) + "\r\n\r\n").encode()))


def reply_to(client, lines, status, reason, contact, to_tag=None, body=""):
    """Answers the request whose head lines are `lines` (start line first) from
    `client`: Via, From, Call-ID and CSeq copied, To given `to_tag` unless it has a
    tag, our `contact`, and an SDP `body` if any."""
    keep = []
    for line in lines[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name in ("via", "from", "call-id", "cseq"):
            keep.append(line)
        elif name == "to":
            keep.append(line if ";tag=" in line or not to_tag else f"{line};tag={to_tag}")
    extra = [f"Contact: {contact}"]
    if body:
        extra.append("Content-Type: application/sdp")
    msg = "\r\n".join([f"SIP/2.0 {status} {reason}", *keep, *extra,
                       f"Content-Length: {len(body)}"]) + "\r\n\r\n" + body
    client.send(msg.encode())


def answer_request(client, status=200):
    """Receives one request on `client` and answers it with `status`; returns
    the request's method."""
    data = client.recv().decode(errors="replace")
    head = data.split("\r\n\r\n", 1)[0].split("\r\n")
    method = head[0].split()[0]
    keep = [line for line in head[1:]
            if line.split(":", 1)[0].strip().lower() in ("via", "from", "to", "call-id", "cseq")]
    keep = [line + ";tag=uas" if line.lower().startswith("to:") else line for line in keep]
    client.send(("\r\n".join([f"SIP/2.0 {status} OK", *keep, "Content-Length: 0"]) +
                 "\r\n\r\n").encode())
    return method


def digest_answer(challenge, user, password, method="REGISTER", uri="sip:127.0.0.1", nc=1):
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    alg = params.get("algorithm", "MD5").upper()
    h = (lambda s: hashlib.sha256(s.encode()).hexdigest()) if alg == "SHA-256" else (
        lambda s: hashlib.md5(s.encode()).hexdigest())
    cnonce = uuid.uuid4().hex[:8]
    ncs = f"{nc:08x}"
    ha1 = h(f"{user}:{params['realm']}:{password}")
    ha2 = h(f"{method}:{uri}")
    resp = h(f"{ha1}:{params['nonce']}:{ncs}:{cnonce}:auth:{ha2}")
    return (f'Digest username="{user}",realm="{params["realm"]}",nonce="{params["nonce"]}",'
            f'uri="{uri}",response="{resp}",algorithm={alg},cnonce="{cnonce}",qop=auth,nc={ncs}')
