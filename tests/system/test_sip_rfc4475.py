"""Every RFC 4475 torture message replayed at the running server over UDP and TCP
(inside this file's own network namespace, so Vias naming other hosts lead
nowhere): invalid requests get the status the RFC asks for (or are dropped when
no answer can be formed), valid ones get a proper SIP answer, responses are
absorbed, and the server answers OPTIONS afterwards."""

import os
import re
import socket
import uuid
from pathlib import Path

import pytest

from conftest import http_get
from sip_helpers import RawClient, parse_response, sip_extra

CORPUS = Path(os.environ.get("HOTLINE_RFC4475_DIR", "/work/shared/testdata/sip/rfc4475"))
VALID = sorted((CORPUS / "valid").glob("*.dat"))
INVALID = sorted((CORPUS / "invalid").glob("*.dat"))

# What the server answers each invalid message with (0: nothing, it is a
# response or cannot be answered) — RFC 4475 §3.1.2 / §3.3.
INVALID_STATUS = {
    "badaspec": 400, "baddn": 400, "badinv01": 400, "badvers": 505, "bigcode": 0,
    "clerr": 400, "escruri": 400, "insuf": 0, "ltgtruri": 400, "lwsruri": 400,
    "lwsstart": 400, "mcl01": 400, "mismatch01": 400, "mismatch02": 400, "multi01": 400,
    "ncl": 400, "quotbal": 400, "regbadct": 400, "scalar02": 400, "scalarlg": 0,
    "test": 400, "trws": 400, "baddate": None,  # None: accepted leniently (any final answer)
}
# On a stream, where framing comes first: test.dat has no request line to frame
# by, so the connection is closed without an answer.
INVALID_STATUS_TCP = {**INVALID_STATUS, "test": 0}
# Valid datagrams that are not valid on a stream: inv2543 has no Content-Length
# (mandatory on TCP, RFC 3261 §18.3: 400, then the connection is closed), and
# dblreq's trailing INVITE becomes a second message on the stream, and the dialog
# layer refuses it with 400: a dialog-creating INVITE needs a Contact (§8.1.1.8).
TCP_SPECIAL = {"inv2543": [400], "dblreq": [401, 400]}
# Valid messages that are responses: absorbed silently.
VALID_RESPONSES = {"unreason", "noreason", "bcast"}


def options(call_id, transport="TCP", local=("127.0.0.1", 0)):
    return (f"OPTIONS sip:hotline@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport} {local[0]}:{local[1]};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            f"From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:hotline@127.0.0.1>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def exchange(client, data, marker):
    """Sends `data` and then an OPTIONS ping with Call-ID `marker` on one
    connection; returns the statuses answered before the ping's 200, and whether
    the server closed the connection instead (after a framing error)."""
    client.send(data + options(marker))
    answers = []
    while True:
        try:
            status, headers = parse_response(client.recv())
        except ConnectionError:
            return answers, True
        if ("call-id", marker) in headers:
            assert status == 200
            return answers, False
        answers.append(status)


def test_corpus_is_there():
    assert len(VALID) + len(INVALID) == 50, (CORPUS, len(VALID), len(INVALID))
    assert {p.stem for p in INVALID} == set(INVALID_STATUS)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_over_tcp(serve_once, path):
    expected = INVALID_STATUS_TCP[path.stem]
    c = RawClient("tcp")
    data = path.read_bytes()
    if path.stem == "clerr":
        # On a stream the Content-Length promise cannot be judged until the bytes
        # come (or the idle timeout closes it): the server must simply wait.
        c.send(data)
        c.close()
        return
    answers, _ = exchange(c, data, "after-" + path.stem)
    c.close()
    if expected is None:
        assert answers and all(a >= 200 and a != 500 for a in answers), answers
    else:
        assert answers == ([expected] if expected else []), answers


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_over_tcp(serve_once, path):
    c = RawClient("tcp")
    answers, closed = exchange(c, path.read_bytes(), "after-" + path.stem)
    c.close()
    if path.stem in TCP_SPECIAL:
        assert answers == TCP_SPECIAL[path.stem], answers
        return
    assert not closed, f"{path.stem}: connection closed after {answers}"
    if path.stem in VALID_RESPONSES:
        assert answers == []
    else:
        finals = [a for a in answers if a >= 200]
        assert finals, f"{path.stem}: no final answer: {answers}"
        assert all(a != 500 for a in finals), f"{path.stem}: {answers}"


def test_every_message_over_udp_then_alive(serve_once):
    c = RawClient("udp", timeout=10)
    for path in VALID + INVALID:
        c.send(path.read_bytes())
    # Our own request afterwards is answered: nothing hung or crashed.
    c.send(options("udp-alive", "UDP", c.local))
    while True:
        status, headers = parse_response(c.recv())
        if ("call-id", "udp-alive") in headers:
            assert status == 200
            break
    c.close()
    port = serve_once[1]
    assert http_get(port, "/health")[0] == 200
    _, _, metrics = http_get(port, "/metrics")
    m = re.search(r"^hotline_sip_parse_errors_total (\d+)", metrics, re.M)
    assert m and int(m.group(1)) >= len(INVALID), metrics


@pytest.fixture(scope="module")
def serve_once(tmp_path_factory):
    """One server for the whole corpus (module scope), checked alive at the end."""
    import conftest
    tmp = tmp_path_factory.mktemp("rfc4475")
    (tmp / "www").mkdir()
    port = conftest.free_port()
    cfg = conftest.write_config(tmp, port, extra=sip_extra(qualify="0s"))
    s = conftest.start(["serve", "--config", str(cfg)], cwd=tmp)
    s.wait_for("msg=ready")
    yield s, port
    alive = s.proc.poll() is None
    s.stop()
    assert alive, s.log()
