"""The demo voice menu (config/ivr/demo.yaml, what config/hotline.example.yaml
serves on number 100 and on any DID of its demo trunk) walked by SIPp callers
pressing RFC 2833 keys: each path ends where the flow says, and the event log
shows the menu's nodes in order.

The demo's business-hours node (Europe/Paris) would make the path depend on the
time of day, so the tests serve a copy of the flow whose hours are always open:
every other node is the demo's, unchanged. Callers come from the demo trunk's
address (127.0.0.1), like a carrier, so the flow's caller lists (VIP, blocked)
can be walked with E.164 numbers."""

import pytest
import yaml

from carrier_call import DeskPhone, call_events, caller_scenario, run_caller
from conftest import SOURCE_DIR
from sip_helpers import sip_extra

DEMO_FLOW = SOURCE_DIR / "config" / "ivr" / "demo.yaml"

# The queues wait at most 2 s for an agent (none logs in here), then hotline
# hangs up (cause queue-timeout): the caller needs no timer of its own.
CONFIG = """
media: {{ address: 127.0.0.1, rtp_ports: 31000-31999 }}
numbering: {{ country_code: "33", international_prefix: "00", trunk_prefix: "0", national_length: 9 }}
trunks:
  demo-carrier: {{ address: 127.0.0.1:5080, allow: [127.0.0.1/32] }}
dialplan:
  - {{ name: demo menu, number: "100", to: {{ ivr: demo }} }}
ivr: {{ files: ["{flow}"] }}
queues:
  sales: {{ max_wait: 2s, exit: voicemail }}
  support: {{ max_wait: 2s, exit: voicemail }}
"""

# A caller the demo's caller lists know nothing about.
CALLER = "+33140000000"
MENU = ["screen", "hours", "welcome", "main_menu"]


def always_open_flow(tmp_path):
    """The demo flow with its hours node open around the clock, all year."""
    doc = yaml.safe_load(DEMO_FLOW.read_text())
    hours = doc["flows"]["demo"]["nodes"]["hours"]
    hours["schedule"] = {"daily": "00:00-24:00"}
    hours.pop("holidays", None)
    path = tmp_path / "demo-always-open.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture
def demo(serve, tmp_path):
    """hotline serving the (always open) demo menu on 100; returns the server."""
    flow = always_open_flow(tmp_path)
    server, _, _ = serve(extra=sip_extra(qualify="0s") + CONFIG.format(flow=flow))
    return server


def walk(tmp_path, keys, caller=CALLER, hangup_after_ms=30000):
    scenario = caller_scenario(tmp_path / f"caller-{len(list(tmp_path.glob('caller-*')))}.xml",
                               caller, keys, hangup_after_ms=hangup_after_ms)
    rc, out = run_caller(scenario, "100")
    assert rc == 0, out


def only_call(server, tmp_path):
    """Stops the server (which flushes the event log) and returns the one call's
    events as (type, payload) pairs."""
    server.stop()
    calls = call_events(tmp_path / "data" / "hotline.db")
    assert len(calls) == 1, calls
    return next(iter(calls.values()))


def nodes_of(events):
    return [p["node"] for t, p in events if t == "ivr.node_entered"]


def ivr_end(events):
    """The one ivr.ended event, which follows every node the call entered."""
    ends = [i for i, (t, _) in enumerate(events) if t == "ivr.ended"]
    assert len(ends) == 1, events
    nodes = [i for i, (t, _) in enumerate(events) if t == "ivr.node_entered"]
    assert nodes and max(nodes) < ends[0], events
    return events[ends[0]][1]


def types_of(events):
    return [t for t, _ in events]


@pytest.mark.parametrize("key,queue", [("1", "sales"), ("2", "support")])
def test_a_key_reaches_its_queue(demo, tmp_path, key, queue):
    walk(tmp_path, key)
    events = only_call(demo, tmp_path)
    assert nodes_of(events) == MENU + [queue], events
    assert ivr_end(events) == {"to": f"queue:{queue}", "call": ivr_end(events)["call"]}
    assert [p["digit"] for t, p in events if t == "call.dtmf"] == [key]
    enqueued = [p["queue"] for t, p in events if t == "call.enqueued"]
    assert enqueued == [queue], events
    assert "interaction.queued" in types_of(events)
    # Nobody answered within the queue's 2 s; hotline hung up.
    assert events[-1][0] == "call.ended" and events[-1][1]["cause"] == "queue-timeout", events


def test_zero_rings_the_operator(demo, tmp_path):
    operator = DeskPhone("1001")
    caller = None
    try:
        scenario = caller_scenario(tmp_path / "caller.xml", CALLER, "0", hangup_after_ms=60000)
        caller = run_caller(scenario, "100", background=True)
        operator.answer()
        operator.hang_up()  # hotline passes it on to the caller
        out, err = caller.communicate(timeout=60)
        assert caller.returncode == 0, out + err
    finally:
        if caller and caller.poll() is None:
            caller.kill()
        operator.close()
    events = only_call(demo, tmp_path)
    assert nodes_of(events) == MENU + ["operator"], events
    assert ivr_end(events)["to"] == "extension:1001"
    ringing = [p for t, p in events if t == "call.ringing_devices"]
    assert ringing and ringing[0]["extension"] == "1001", events
    assert "call.connected" in types_of(events)
    assert events[-1][0] == "call.ended" and events[-1][1]["cause"] == "callee-hangup", events


@pytest.mark.parametrize("keys,how", [("777", "three wrong keys"),
                                      ("77", "two wrong keys, then silence")])
def test_wrong_keys_and_silence_end_at_the_operator(demo, tmp_path, keys, how):
    # attempts: 3 — wrong keys and timeouts count together; then the fallback.
    operator = DeskPhone("1001")
    caller = None
    try:
        scenario = caller_scenario(tmp_path / "caller.xml", CALLER, keys, hangup_after_ms=90000)
        caller = run_caller(scenario, "100", background=True)
        operator.answer()
        operator.hang_up()
        out, err = caller.communicate(timeout=60)
        assert caller.returncode == 0, out + err
    finally:
        if caller and caller.poll() is None:
            caller.kill()
        operator.close()
    events = only_call(demo, tmp_path)
    # The menu is entered once; retries stay inside it.
    assert nodes_of(events) == MENU + ["operator"], (how, events)
    assert [p["digit"] for t, p in events if t == "call.dtmf"] == list(keys)
    assert ivr_end(events)["to"] == "extension:1001"
    assert "call.connected" in types_of(events)


def test_nine_goes_to_voicemail(demo, tmp_path):
    # Voicemail itself is another slice: here only that the menu routes there.
    walk(tmp_path, "9")
    events = only_call(demo, tmp_path)
    assert nodes_of(events)[:5] == MENU + ["voicemail"], events
    assert ivr_end(events)["to"] == "voicemail:general"


def test_three_starts_the_balance_lookup(demo, tmp_path):
    # The HTTP lookup is another slice: here only that the menu enters it.
    walk(tmp_path, "3", hangup_after_ms=15000)
    events = only_call(demo, tmp_path)
    assert nodes_of(events)[:5] == MENU + ["balance_lookup"], events


def test_a_vip_caller_skips_the_menu(demo, tmp_path):
    walk(tmp_path, "", caller="+33612345678")
    events = only_call(demo, tmp_path)
    assert nodes_of(events) == ["screen", "vip_queue"], events
    assert ivr_end(events)["to"] == "queue:support"
    assert events[-1][1]["cause"] == "queue-timeout", events


def test_a_blocked_caller_is_refused(demo, tmp_path):
    walk(tmp_path, "", caller="+33999123456")
    events = only_call(demo, tmp_path)
    assert nodes_of(events) == ["screen", "refused"], events
    assert ivr_end(events) == {"to": "hangup", "cause": "call-rejected",
                               "call": ivr_end(events)["call"]}
    assert events[-1][1]["cause"] == "ivr-hangup", events
