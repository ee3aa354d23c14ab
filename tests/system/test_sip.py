"""SIP on the running server: real peers (SIPp) reach hotline's listeners over UDP
and TCP; bytes that are not valid SIP get a 400 or are dropped, and the server
stays alive."""

import socket
import subprocess
from pathlib import Path

from conftest import http_get

SCENARIOS = Path(__file__).parent / "sipp"


def sipp(scenario, port, transport="u1", calls=5):
    return subprocess.run(
        ["sipp", f"127.0.0.1:{port}", "-sf", str(SCENARIOS / scenario), "-t", transport,
         "-i", "127.0.0.1", "-p", "0", "-m", str(calls), "-timeout", "20s", "-timeout_error",
         "-nostdin"],
        capture_output=True, text=True, timeout=60, cwd=SCENARIOS.parent)


def test_options_ping_over_udp_and_tcp(serve):
    s, port, _ = serve(extra="    - { transport: tcp, address: 127.0.0.1:5060 }\n")
    s.wait_for("msg=listening transport=TCP")
    for transport in ("u1", "t1"):
        r = sipp("options.xml", 5060, transport)
        assert r.returncode == 0, f"{transport}: {r.stdout[-2000:]}\n{r.stderr[-2000:]}"


def test_garbage_is_answered_or_dropped_and_the_server_lives(serve):
    s, port, _ = serve()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(10)
        u.sendto(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\n"
                 b"Max-Forwards: many\r\nTo: <sip:x@127.0.0.1>\r\nFrom: <sip:y@127.0.0.1>;tag=1\r\n"
                 b"Call-ID: junk1\r\nCSeq: 1 OPTIONS\r\n\r\n", ("127.0.0.1", 5060))
        reply, _ = u.recvfrom(65536)
        assert reply.startswith(b"SIP/2.0 400 "), reply
        u.sendto(b"\x00\xff" * 500, ("127.0.0.1", 5060))  # not SIP at all: dropped
    assert http_get(port, "/health")[0] == 200
    s.wait_for("msg=ready")
    assert s.proc.poll() is None


def test_sip_port_in_use_stops_start_up(serve, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        blocker.bind(("127.0.0.1", 5060))
        s, _, _ = serve(wait=False)
        assert s.proc.wait(timeout=60) == 1
        s.stop()
    assert "SIP udp 127.0.0.1:5060 is already in use" in s.log()
