"""The ACD live: `hotline serve` with 20 agents whose phones are SIPp UAS processes
(each registered with digest, each logged in from its phone with *50) and a 21st
phone that rings and is never picked up; customers are SIPp callers. Every
assertion reads the event log (the `events` table the server appends to as it
runs), polled with a deadline — never a sleep standing in for an event.

One server and one set of phones serve the whole file (starting 21 SIPp processes
and logging them in is the expensive part); each test uses its own queue, so the
tests do not depend on one another, and each ends by checking that every call that
entered a queue so far has exactly one outcome ("nothing is lost")."""

import itertools
import json
import socket
import sqlite3
import subprocess
import time
import uuid

import pytest

from conftest import free_port, start, write_config
from sip_helpers import SCENARIOS, RawClient, digest_answer, header

AGENTS = 20
FIRST_EXTENSION = 2001                   # agent-01 … agent-20: 2001 … 2020
DEAF_EXTENSION = 2021                    # the phone that only rings
RING_ALL = {"ring-a": (2022, "acd-agent.xml"),        # answers at once
            "ring-b": (2023, "acd-agent-slow.xml"),   # answers after 1 s (if still ringing)
            "ring-c": (2024, "acd-agent-slow.xml")}
CUSTOMER = "3000"                        # every customer calls as this extension
RING_TIMEOUT_S = 2                       # the `rona` queue's ring timeout
# Fixed ports below the kernel's ephemeral range (32768-60999), so no SIPp process
# or hotline's media engine can take one another's port (each test file runs in its
# own network namespace, so these are free).
PHONE_SIP_PORT = 15001                   # + i for the i-th phone
MEDIA_PORTS = itertools.count(16000, 4)  # SIPp media ports (it binds a few in a row)
OUTCOMES = ("interaction.answered", "interaction.abandoned", "interaction.timed_out",
            "interaction.overflowed", "interaction.called_back")


def agent_name(i):
    return f"agent-{i + 1:02d}"


def config():
    """Queues with different strategies, one per test; `deaf` is defined first so
    it is the first member (in join order) of the linear `rona` queue."""
    ext = "".join(f"  - {{ user: '{n}', password: pw-{n} }}\n"
                  for n in [*range(FIRST_EXTENSION, DEAF_EXTENSION + 1),
                            *(e for e, _ in RING_ALL.values()), int(CUSTOMER)])
    agents = f'  deaf: {{ extensions: ["{DEAF_EXTENSION}"], queues: [rona] }}\n'
    for name, (number, _) in RING_ALL.items():
        agents += f'  {name}: {{ extensions: ["{number}"], queues: [all] }}\n'
    for i in range(AGENTS):
        queues = "rr, lin, rona" + (", solo" if i == 0 else "")
        agents += (f'  {agent_name(i)}: {{ extensions: ["{FIRST_EXTENSION + i}"], '
                   f"queues: [{queues}] }}\n")
    return f"""  qualify_interval: 0s
  registrar: {{ min_expires: 30s, max_expires: 1h, default_expires: 10m }}
extensions:
{ext}media: {{ address: 127.0.0.1, rtp_ports: 20000-21999 }}
dialplan:
  - {{ name: rr, number: "500", to: {{ queue: rr }} }}
  - {{ name: lin, number: "501", to: {{ queue: lin }} }}
  - {{ name: rona, number: "502", to: {{ queue: rona }} }}
  - {{ name: solo, number: "503", to: {{ queue: solo }} }}
  - {{ name: closed, number: "504", to: {{ queue: closed }} }}
  - {{ name: all, number: "505", to: {{ queue: all }} }}
acd: {{ max_missed_offers: 2 }}
queues:
  rr: {{ strategy: round-robin, ring_timeout: 10s }}
  lin: {{ strategy: linear, ring_timeout: 10s }}
  rona: {{ strategy: linear, ring_timeout: {RING_TIMEOUT_S}s }}
  solo: {{ strategy: linear, ring_timeout: 10s, wrapup: 3s }}
  closed: {{ strategy: linear, max_wait: 1s, exit: "{FIRST_EXTENSION + AGENTS - 1}" }}
  all: {{ strategy: ring-all, ring_timeout: 10s }}
agents:
{agents}"""


class EventLog:
    """The server's event log, read while it runs (SQLite in WAL mode; the writer
    commits at least every 20 ms)."""

    def __init__(self, path):
        self.path = path

    def rows(self, since=0):
        # A connection per read: a long-lived one was seen to keep returning an old
        # snapshot while the server went on writing.
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        try:
            return [(seq, kind, json.loads(payload)) for seq, kind, payload in db.execute(
                "SELECT seq, type, payload FROM events WHERE seq > ? ORDER BY seq", (since,))]
        finally:
            db.close()

    def last_seq(self):
        rows = self.rows()
        return rows[-1][0] if rows else 0

    def wait(self, what, predicate, since=0, timeout=30.0):
        """Polls until predicate(rows since `since`) is true; returns the rows."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows(since)
            if predicate(rows):
                return rows
            if time.monotonic() > deadline:
                kinds = [(r[1], r[2].get("agent"), r[2].get("queue")) for r in rows[-40:]]
                raise AssertionError(f"event log never showed {what}; last events: {kinds}")
            time.sleep(0.05)  # the polling interval of a deadline-bound wait


def of(rows, kind, queue=None):
    return [p for _, t, p in rows if t == kind and (queue is None or p.get("queue") == queue)]


def users_file(path, users):
    path.write_text("SEQUENTIAL\n" + "".join(
        f"{u};[authentication username={u} password=pw-{u}]\n" for u in users))
    return path


def callers(tmp, number, calls, rate, talk_ms, limit=None, users=(CUSTOMER,)):
    """One SIPp process placing `calls` calls to `number` at `rate` per second, each
    staying on the line `talk_ms` after hotline answers, then hanging up."""
    inf = users_file(tmp / f"users-{uuid.uuid4().hex[:6]}.csv", users)
    args = ["sipp", "127.0.0.1:5060", "-sf", str(SCENARIOS / "acd-caller.xml"), "-t", "u1",
            "-i", "127.0.0.1", "-p", "0", "-s", number, "-inf", str(inf),
            "-auth_uri", f"{number}@127.0.0.1:5060", "-m", str(calls), "-r", str(rate),
            "-l", str(limit or calls), "-d", str(talk_ms), "-mp", str(next(MEDIA_PORTS)),
            "-timeout", "40s", "-timeout_error", "-nostdin"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp)


def finish(proc, timeout=45):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-3000:] + err[-3000:]


class Center:
    def __init__(self, tmp, server, log, phones):
        self.tmp, self.server, self.log, self.phones = tmp, server, log, phones

    def assert_phones_alive(self):
        for ext, (proc, _) in self.phones.items():
            assert proc.poll() is None, f"the phone of {ext} exited ({proc.returncode})"

    def assert_nothing_lost(self, since, queued):
        """Waits for the `queued` queue visits that began after `since` (the log is
        written asynchronously: a finished SIPp does not mean its events are on
        disk yet), then checks each ends in exactly one outcome and every answered
        call's conversation ends (interaction.ended)."""
        def settled(rows):
            visits = {(p["interaction"], p["visit"]) for p in of(rows, "interaction.queued")}
            if len(visits) < queued:
                return False
            done = [(p["interaction"], p["visit"]) for t in OUTCOMES for p in of(rows, t)]
            answered = {p["interaction"] for p in of(rows, "interaction.answered")}
            ended = {p["interaction"] for p in of(rows, "interaction.ended")}
            calls = {p["call"] for p in of(rows, "call.enqueued")}
            calls_ended = {p["call"] for p in of(rows, "call.ended")}
            return visits <= set(done) and answered <= ended and calls <= calls_ended
        rows = self.log.wait("an outcome for every queued call", settled, since)
        visits = [(p["interaction"], p["visit"]) for p in of(rows, "interaction.queued")]
        done = [(p["interaction"], p["visit"]) for t in OUTCOMES for p in of(rows, t)]
        assert len(visits) == len(set(visits)) == queued, visits
        for v in visits:
            assert done.count(v) == 1, (v, done.count(v))
        # And every call handed to a queue ended in the B2BUA too.
        enqueued = {p["call"] for p in of(rows, "call.enqueued")}
        ended = {p["call"] for p in of(rows, "call.ended")}
        assert enqueued <= ended, enqueued - ended


class PortClient(RawClient):
    """A RawClient on a UDP port of our choosing."""

    def __init__(self, port):
        self.transport, self.addr, self.buf = "udp", ("127.0.0.1", 5060), b""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(10)
        self.sock.bind(("127.0.0.1", port))
        self.local = self.sock.getsockname()


def register_phone(user, port):
    """Registers `user` with digest from `port`, then closes the socket so the SIPp
    phone can take the port over (the registrar sends to the address the REGISTER
    came from, and qualify is off)."""
    client = PortClient(port)
    try:
        call_id = uuid.uuid4().hex
        _, headers = client.register(user, 1, call_id)
        auth = digest_answer(header(headers, "www-authenticate")[0], user, f"pw-{user}")
        status, _ = client.register(user, 2, call_id, authorization=auth)
        assert status == 200
        return client.local[1]
    finally:
        client.close()


def start_phone(tmp, ext, scenario):
    """Returns (the SIPp process, the port it listens on)."""
    port = PHONE_SIP_PORT + ext - FIRST_EXTENSION
    register_phone(str(ext), port)
    args = ["sipp", "-sf", str(SCENARIOS / scenario), "-t", "u1", "-i", "127.0.0.1",
            "-p", str(port), "-mp", str(next(MEDIA_PORTS)), "-nostdin",
            "-trace_err", "-error_file", str(tmp / f"phone-{ext}-errors.log")]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=tmp), port


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("acd")
    (tmp / "www").mkdir()
    cfg = write_config(tmp, free_port(), extra=config())
    server = start(["serve", "--config", str(cfg)], cwd=tmp)
    phones = {}
    try:
        server.wait_for("msg=ready")
        log = EventLog(tmp / "data" / "hotline.db")
        for i in range(AGENTS):
            phones[FIRST_EXTENSION + i] = start_phone(tmp, FIRST_EXTENSION + i, "acd-agent.xml")
        phones[DEAF_EXTENSION] = start_phone(tmp, DEAF_EXTENSION, "acd-agent-deaf.xml")
        for ext, scenario in RING_ALL.values():
            phones[ext] = start_phone(tmp, ext, scenario)
        # Every agent logs in from their own extension with the feature code.
        everyone = [str(e) for e in phones]
        finish(callers(tmp, "*50", calls=len(everyone), rate=50, talk_ms=100, users=everyone))
        log.wait("every agent ready", lambda rows: {
            p["agent"] for p in of(rows, "agent.state_changed") if p["to"] == "ready"}
            == {"deaf", *RING_ALL, *map(agent_name, range(AGENTS))})
        yield Center(tmp, server, log, phones)
    finally:
        for proc, _ in phones.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        server.stop()
        (tmp / "hotline.log").write_text(server.log())  # for a failure's post-mortem


def replay_offers(log, queue, members, pick):
    """Replays agent states from the whole log and checks every offer of `queue`
    against the strategy: `pick(ready_members, previous)` says whom the engine must
    choose (`previous` is the member offered last by this queue). Returns the offers."""
    state, previous, offers = {}, None, []
    for _, kind, p in log.rows():
        if kind == "agent.state_changed":
            state[p["agent"]] = p["to"]
        elif kind == "interaction.offered" and p["queue"] == queue:
            ready = [m for m in members if state.get(m) == "ready"]
            expected = pick(ready, previous)
            assert p["agent"] == expected, (p, ready, previous)
            previous = p["agent"]
            offers.append(p["agent"])
    return offers


def test_round_robin_spreads_calls_evenly(center):
    """60 calls at 10 per second, each talking 0.5 s: each of the 20 agents is
    offered a call every 2 s at most, long after their previous call ended, so
    round-robin gives every agent exactly 3. An agent still busy on their turn (a
    starved machine delaying a BYE) is skipped and the next one takes an extra:
    each such skip moves one call between neighbours, hence the ±1 tolerance. The
    replay checks the rule itself on every offer: the next ready member after the
    one offered last, wrapping."""
    since = center.log.last_seq()
    calls = 60
    finish(callers(center.tmp, "500", calls=calls, rate=10, talk_ms=500))
    center.assert_nothing_lost(since, queued=calls)
    rows = center.log.rows(since)
    members = [agent_name(i) for i in range(AGENTS)]

    def next_after(ready, previous):
        start = members.index(previous) + 1 if previous else 0
        order = members[start:] + members[:start]
        return next(m for m in order if m in ready)

    offers = replay_offers(center.log, "rr", members, next_after)
    answered = [p["agent"] for p in of(rows, "interaction.answered", "rr")]
    assert len(offers) == calls and len(answered) == calls
    counts = {m: answered.count(m) for m in members}
    per_agent = calls // AGENTS
    assert all(per_agent - 1 <= n <= per_agent + 1 for n in counts.values()), counts
    center.assert_phones_alive()


def test_linear_fills_the_first_free_agent_first(center):
    """24 calls at 5 per second, each talking 0.1 s: a call usually ends before the
    next one comes, so linear — the first free member in join order — gives agent-01
    most of them; a call arriving while agent-01 still talks (the machine's jitter
    decides how often) goes to agent-02, and so on down the list. The replay checks
    every single offer went to the first member that was ready at that moment."""
    since = center.log.last_seq()
    calls = 24
    finish(callers(center.tmp, "501", calls=calls, rate=5, talk_ms=100))
    center.assert_nothing_lost(since, queued=calls)
    rows = center.log.rows(since)
    members = [agent_name(i) for i in range(AGENTS)]
    offers = replay_offers(center.log, "lin", members, lambda ready, _: ready[0])
    answered = [p["agent"] for p in of(rows, "interaction.answered", "lin")]
    assert len(offers) == calls and len(answered) == calls
    counts = [answered.count(m) for m in members]
    assert counts[0] == max(counts) and counts[0] > calls // 2, counts
    center.assert_phones_alive()


def test_an_agent_not_ready_from_the_phone_is_skipped(center):
    """agent-01 dials *52 (not ready, first reason: break): linear now gives the
    calls to agent-02. After *51 (ready) agent-01 takes the next call again."""
    since = center.log.last_seq()
    finish(callers(center.tmp, "*52", calls=1, rate=1, talk_ms=100, users=["2001"]))
    finish(callers(center.tmp, "501", calls=3, rate=10, talk_ms=200, limit=1))
    finish(callers(center.tmp, "*51", calls=1, rate=1, talk_ms=100, users=["2001"]))
    finish(callers(center.tmp, "501", calls=1, rate=10, talk_ms=200))
    center.assert_nothing_lost(since, queued=4)
    rows = center.log.rows(since)
    changes = [(p["from"], p["to"], p["reason"]) for p in of(rows, "agent.state_changed")
               if p["agent"] == "agent-01" and "not_ready" in (p["from"], p["to"])]
    assert changes == [("ready", "not_ready", "break"), ("not_ready", "ready", "ready")], changes
    answered = [p["agent"] for p in of(rows, "interaction.answered", "lin")]
    assert answered == ["agent-02"] * 3 + ["agent-01"], answered
    center.assert_phones_alive()


def test_ring_all_rings_every_agent_and_the_first_to_answer_wins(center):
    """`all` rings ring-a, ring-b and ring-c at once. ring-a's phone answers at once,
    the other two would after a second: each call is connected to ring-a, and the
    other two offers are withdrawn (CANCEL, answered 487 by their phones) without
    counting as missed offers — they go back to ready."""
    since = center.log.last_seq()
    calls = 4
    finish(callers(center.tmp, "505", calls=calls, rate=10, talk_ms=300, limit=1))
    center.assert_nothing_lost(since, queued=calls)
    rows = center.log.rows(since)
    queued = [p["interaction"] for p in of(rows, "interaction.queued", "all")]
    assert len(queued) == calls
    for i in queued:
        offered = [p["agent"] for p in of(rows, "interaction.offered", "all")
                   if p["interaction"] == i]
        assert sorted(offered) == sorted(RING_ALL), offered
    answered = [p["agent"] for p in of(rows, "interaction.answered", "all")]
    assert answered == ["ring-a"] * calls, answered
    assert not of(rows, "interaction.rona") and not of(rows, "agent.missed_offers_limit")
    for agent in ("ring-b", "ring-c"):
        changes = [(p["from"], p["to"]) for p in of(rows, "agent.state_changed")
                   if p["agent"] == agent]
        assert changes == [("ready", "reserved"), ("reserved", "ready")] * calls, changes
    center.assert_phones_alive()
    for name, (ext, _) in RING_ALL.items():  # every phone saw only what it expected
        errors = center.tmp / f"phone-{ext}-errors.log"
        assert not errors.exists() or not errors.read_text().strip(), errors.read_text()


def test_rona_moves_the_offer_on_and_sets_the_agent_not_ready(center):
    """The `rona` queue is linear with the deaf phone first. Three calls, one after
    another: the first two ring the deaf phone for the ring timeout (2 s), are
    withdrawn (interaction.rona, a CANCEL the phone answers 487) and go to agent-01;
    after the second miss in a row (acd.max_missed_offers: 2) the deaf agent is set
    not ready ("missed-offers") and the third call goes straight to agent-01."""
    since = center.log.last_seq()
    # A customer's time on the line counts from entering the queue (hotline answers
    # then): the first two stay past the ring timeout to be answered by agent-01.
    finish(callers(center.tmp, "502", calls=2, rate=10, talk_ms=RING_TIMEOUT_S * 1000 + 1000,
                   limit=1))
    finish(callers(center.tmp, "502", calls=1, rate=10, talk_ms=500))
    center.assert_nothing_lost(since, queued=3)
    rows = center.log.rows(since)
    queued = [p["interaction"] for p in of(rows, "interaction.queued", "rona")]
    assert len(queued) == 3
    offers = {i: [p["agent"] for p in of(rows, "interaction.offered", "rona")
                  if p["interaction"] == i] for i in queued}
    assert [offers[i] for i in queued] == [["deaf", "agent-01"], ["deaf", "agent-01"],
                                           ["agent-01"]], offers
    ronas = of(rows, "interaction.rona")
    assert [(p["interaction"], p["agent"], p["declined"]) for p in ronas] == \
        [(queued[0], "deaf", False), (queued[1], "deaf", False)]
    for p in ronas:  # withdrawn at the ring timeout, not before (and not much later)
        assert RING_TIMEOUT_S - 0.05 <= p["ring_s"] <= RING_TIMEOUT_S + 1.0, p
    limit = of(rows, "agent.missed_offers_limit")
    assert [(p["agent"], p["missed"]) for p in limit] == [("deaf", 2)]
    deaf = [(p["from"], p["to"], p["reason"]) for p in of(rows, "agent.state_changed")
            if p["agent"] == "deaf"]
    assert deaf[-1] == ("reserved", "not_ready", "missed-offers"), deaf
    answered = [(p["interaction"], p["agent"]) for p in of(rows, "interaction.answered", "rona")]
    assert answered == [(i, "agent-01") for i in queued]
    # The deaf phone really rang (180 relayed as call.agent_ringing) each time.
    deaf_port = center.phones[DEAF_EXTENSION][1]
    rang = [p for p in of(rows, "call.agent_ringing") if f"@127.0.0.1:{deaf_port};" in p["device"]]
    assert len(rang) == 2, of(rows, "call.agent_ringing")
    center.assert_phones_alive()


def test_a_caller_who_hangs_up_while_waiting_is_abandoned(center):
    """`solo` has one member, agent-01, and 3 s of wrap-up. Two customers from one
    SIPp process, 0.5 s apart, each on the line for 2 s: the first talks to
    agent-01; the second waits — agent-01 is busy, then in wrap-up, never free —
    and hangs up after 2 s: abandoned, with the time it waited. (Both calls come
    from one process so their spacing does not depend on how fast the machine
    starts a SIPp.)"""
    since = center.log.last_seq()
    finish(callers(center.tmp, "503", calls=2, rate=2, talk_ms=2000))
    center.assert_nothing_lost(since, queued=2)
    rows = center.log.rows(since)
    queued = of(rows, "interaction.queued", "solo")
    assert queued[1]["position"] == 1
    abandoned = of(rows, "interaction.abandoned", "solo")
    assert len(abandoned) == 1 and abandoned[0]["interaction"] == queued[1]["interaction"]
    # The caller hung up 2 s after hotline answered (which it does on entry).
    assert 1.95 <= abandoned[0]["wait_s"] <= 3.0, abandoned
    assert [p["interaction"] for p in of(rows, "interaction.offered", "solo")] == \
        [queued[0]["interaction"]]
    wrapup = [p for p in of(rows, "agent.wrapup_started") if p["agent"] == "agent-01"]
    assert len(wrapup) == 1 and wrapup[0]["duration_s"] == 3.0, wrapup
    center.assert_phones_alive()


def test_max_wait_sends_the_caller_to_the_exit(center):
    """`closed` has no agents and a maximum wait of 1 s with extension 2020 as its
    exit: the caller is timed out of the queue (with the wait) and agent-20's phone
    rings directly and answers."""
    since = center.log.last_seq()
    finish(callers(center.tmp, "504", calls=1, rate=1, talk_ms=2500))
    center.assert_nothing_lost(since, queued=1)
    rows = center.log.rows(since)
    timed_out = of(rows, "interaction.timed_out", "closed")
    assert len(timed_out) == 1 and timed_out[0]["destination"] == str(FIRST_EXTENSION + 19)
    assert 0.95 <= timed_out[0]["wait_s"] <= 2.0, timed_out
    exit_port = center.phones[FIRST_EXTENSION + 19][1]
    connected = of(rows, "call.connected")
    assert len(connected) == 1 and f"@127.0.0.1:{exit_port};" in connected[0]["device"], connected
    center.assert_phones_alive()
