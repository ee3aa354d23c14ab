"""The registrar on the running server with real peers: SIPp registers with
digest over UDP and TCP, a wrong password gets 403, the challenge does not tell
known users from unknown ones, repeated failures ban the source, and contacts
are visible at GET /api/v1/sip/registrations and in /metrics."""

import json
import time
import uuid

from conftest import http_get
from sip_helpers import (RawClient, answer_request, digest_answer, header, sip_extra, sipp,
                         users_file)


def registrations(port):
    status, _, body = http_get(port, "/api/v1/sip/registrations")
    assert status == 200, body
    return json.loads(body)["registrations"]


def metric(port, name):
    _, _, body = http_get(port, "/metrics")
    total = 0.0
    found = False
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
            found = True
    return total if found else None


def wait_metric(port, name, at_least, timeout=20):
    """Polls /metrics until `name` reaches `at_least` (the server's own count of an
    event it has finished handling), failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = metric(port, name)
        if v is not None and v >= at_least:
            return v
        time.sleep(0.05)
    raise AssertionError(f"{name} never reached {at_least}: {metric(port, name)}")


def test_sipp_registers_with_digest_over_udp_and_tcp(serve, tmp_path):
    s, port, _ = serve(extra=sip_extra())
    s.wait_for("msg=listening transport=TCP")
    r = sipp("register-digest.xml", "u1", calls=2, inf=users_file(tmp_path, ["1001", "1002"]))
    assert r.returncode == 0, f"udp: {r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    r = sipp("register-digest.xml", "t1", calls=1, inf=users_file(tmp_path, ["1003"]))
    assert r.returncode == 0, f"tcp: {r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    regs = registrations(port)
    by_aor = {x["aor"]: x for x in regs}
    assert set(by_aor) == {"1001", "1002", "1003"}, regs
    assert by_aor["1001"]["transport"] == "UDP"
    assert by_aor["1003"]["transport"] == "TCP"
    assert 0 < by_aor["1001"]["expires_in"] <= 300
    assert metric(port, "hotline_sip_register_total") >= 6  # 3 challenged + 3 ok
    assert metric(port, "hotline_sip_contacts") == 3


def test_wrong_password_gets_403_and_is_counted(serve, tmp_path):
    s, port, _ = serve(extra=sip_extra())
    r = sipp("register-wrong-password.xml", "u1", calls=2,
             inf=users_file(tmp_path, ["1001", "9999"], password="not-it"))
    assert r.returncode == 0, f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert registrations(port) == []
    assert metric(port, "hotline_sip_auth_failures_total") == 2
    assert "msg=\"authentication failed\"" in s.log() or "authentication failed" in s.log()


def test_options_ping_gets_200(serve):
    serve(extra=sip_extra())
    r = sipp("options.xml", "u1", calls=3)
    assert r.returncode == 0, f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}"


def test_challenge_is_the_same_for_known_and_unknown_users(serve):
    serve(extra=sip_extra(auth="{ algorithms: [sha-256, md5] }"))
    c = RawClient("udp")
    shapes = []
    for user in ("1001", "nobody", "1002", "admin"):
        status, headers = c.register(user, 1, uuid.uuid4().hex)
        assert status == 401
        challenges = header(headers, "www-authenticate")
        assert len(challenges) == 2
        assert "algorithm=SHA-256" in challenges[0] and "algorithm=MD5" in challenges[1]
        # Same header names in the same order; challenges equal but for the nonce.
        shapes.append(([n for n, _ in headers if n not in ("via", "from", "to", "call-id")],
                       [len(x) for x in challenges]))
        assert not header(headers, "server") and not header(headers, "user-agent")
    assert all(x == shapes[0] for x in shapes), shapes
    # Wrong password and unknown user: the same answer.
    answers = []
    for user, pw in (("1001", "wrong"), ("nobody", "pw-1001")):
        call_id = uuid.uuid4().hex
        _, headers = c.register(user, 1, call_id)
        auth = digest_answer(header(headers, "www-authenticate")[1], user, pw)
        status, headers2 = c.register(user, 2, call_id, authorization=auth)
        answers.append((status, [n for n, _ in headers2]))
    assert answers[0] == answers[1] and answers[0][0] == 403, answers
    c.close()


def test_repeated_failures_ban_the_source_then_it_is_ignored(serve):
    s, port, _ = serve(extra=sip_extra(
        auth="{ max_failures_per_source: 3, max_failures_per_user: 100, ban_time: 10m, "
             "ban_response: drop }"))
    c = RawClient("udp", timeout=5)
    statuses = []
    for i in range(3):
        call_id = uuid.uuid4().hex
        _, headers = c.register("1001", 1, call_id)
        auth = digest_answer(header(headers, "www-authenticate")[0], "1001", f"guess{i}")
        statuses.append(c.register("1001", 2, call_id, authorization=auth)[0])
    assert statuses == [403, 403, 403]
    s.wait_for("source banned after failed authentications")
    assert metric(port, "hotline_sip_auth_bans_total") == 1
    # Banned: the next request is dropped at the door, and counted.
    before = metric(port, "hotline_sip_banned_requests_total") or 0
    c.send(b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKban\r\n"
           b"From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: ban1\r\n"
           b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
           % (c.local[0].encode(), c.local[1]))
    wait_metric(port, "hotline_sip_banned_requests_total", before + 1)
    c.sock.setblocking(False)
    try:
        data = c.sock.recv(65536)
    except BlockingIOError:
        data = None
    assert data is None, data
    c.close()
    # Another address is not affected.
    other = RawClient("tcp", bind="127.0.0.2")
    status, _ = other.register("1002", 1, uuid.uuid4().hex)
    assert status == 401
    other.close()


def test_registrar_rules_over_tcp(serve):
    serve(extra=sip_extra())
    c = RawClient("tcp")
    call_id = uuid.uuid4().hex
    _, headers = c.register("1001", 1, call_id, expires=5)
    auth = digest_answer(header(headers, "www-authenticate")[0], "1001", "pw-1001")
    status, headers = c.register("1001", 2, call_id, authorization=auth, expires=5)
    assert status == 423 and header(headers, "min-expires") == ["30"]
    # Two contacts at once, both listed with their expiry.
    _, headers = c.register("1001", 3, call_id)
    chal = header(headers, "www-authenticate")[0]
    status, headers = c.register("1001", 4, call_id, expires=60,
                                 authorization=digest_answer(chal, "1001", "pw-1001"),
                                 contact="<sip:a@192.0.2.1>, <sip:b@192.0.2.2>")
    assert status == 200
    assert sorted(header(headers, "contact")) == ["<sip:a@192.0.2.1>;expires=60",
                                                  "<sip:b@192.0.2.2>;expires=60"]
    # Contact: * with Expires: 0 removes both.
    status, headers = c.register("1001", 5, call_id, expires=0, contact="*",
                                 authorization=digest_answer(chal, "1001", "pw-1001", nc=2))
    assert status == 200 and header(headers, "contact") == []
    c.close()


def test_qualify_marks_a_silent_contact_unreachable_and_back(serve):
    s, port, _ = serve(extra=sip_extra(qualify="1s", more="  t1: 50ms\n  t2: 200ms\n"))
    phone = RawClient("udp", timeout=20)
    call_id = uuid.uuid4().hex
    _, headers = phone.register("1001", 1, call_id)
    status, _ = phone.register("1001", 2, call_id, authorization=digest_answer(
        header(headers, "www-authenticate")[0], "1001", "pw-1001"))
    assert status == 200
    # The phone answers the first qualify...
    assert answer_request(phone) == "OPTIONS"
    assert registrations(port)[0]["reachable"] is True
    # ...then goes silent: Timer F (64*T1) fails the OPTIONS.
    s.wait_for('msg="contact unreachable" aor=1001')
    assert registrations(port)[0]["reachable"] is False
    assert metric(port, "hotline_sip_qualify_unreachable_total") == 1
    # Answering again brings it back.
    phone.sock.settimeout(10)
    while "contact reachable again" not in s.log():
        answer_request(phone)
    assert registrations(port)[0]["reachable"] is True
    phone.close()
