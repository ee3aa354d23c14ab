"""Inbound calls from a carrier: the trunk and dial plan of the demo configuration
(config/hotline.example.yaml) as a newcomer gets them. SIPp plays the carrier from
the demo trunk's address (127.0.0.2; the whole of 127/8 is the loopback); a call to
a DID routes by the dial plan — a tracking number's source label goes with it —
and a call from an address no trunk allows is refused with 403 and counted."""

import re

import pytest
import yaml

from carrier_call import call_events, caller_scenario, run_caller
from conftest import SOURCE_DIR, http_get
from sip_helpers import sip_extra

EXAMPLE = SOURCE_DIR / "config" / "hotline.example.yaml"
CARRIER = "127.0.0.2"
STRANGER = "127.0.0.3"


def demo_routing():
    """The example's numbering, trunks, dial plan and IVR files (made absolute),
    and its queues by name only (they wait 2 s, then hotline hangs up)."""
    doc = yaml.safe_load(EXAMPLE.read_text())
    ivr = {"files": [str((EXAMPLE.parent / f).resolve()) for f in doc["ivr"]["files"]]}
    queues = {name: {"max_wait": "2s", "exit": "voicemail"} for name in doc["queues"]}
    section = {"media": {"address": "127.0.0.1", "rtp_ports": "31000-31999"},
               "numbering": doc["numbering"], "trunks": doc["trunks"],
               "dialplan": doc["dialplan"], "ivr": ivr, "calendars": doc["calendars"],
               "queues": queues}
    return doc, yaml.safe_dump(section, sort_keys=False)


def test_the_demo_trunk_allows_the_carrier_address_only():
    doc, _ = demo_routing()
    assert doc["trunks"]["demo-carrier"]["allow"] == [f"{CARRIER}/32"]


@pytest.mark.parametrize("did,rule,source", [
    ("+14155550100", "ads line", "google-ads"),   # a tracking number, E.164 from the carrier
    ("14155550100", "ads line", "google-ads"),    # the same number as a carrier may send it
    ("+14155550123", "demo carrier", ""),         # any other DID of the trunk
    ("200", "demo carrier", ""),                  # even one that is a queue for extensions
    ("100", "demo menu", ""),
])
def test_a_carrier_call_routes_by_the_dial_plan(serve, tmp_path, did, rule, source):
    _, routing = demo_routing()
    server, _, _ = serve(extra=sip_extra(qualify="0s") + routing)
    scenario = caller_scenario(tmp_path / "carrier.xml", "+33140000000", hangup_after_ms=500)
    rc, out = run_caller(scenario, did, bind=CARRIER)
    assert rc == 0, out  # answered (the demo menu), then the carrier hangs up
    server.stop()
    calls = call_events(tmp_path / "data" / "hotline.db")
    assert len(calls) == 1, calls
    events = next(iter(calls.values()))
    created = next(p for t, p in events if t == "call.created")
    assert created["origin"] == "trunk:demo-carrier"
    assert created["caller"] == "+33140000000"
    routed = next(p for t, p in events if t == "call.routed")
    assert (routed["rule"], routed["target"], routed["source"]) == (rule, "ivr:demo", source)
    assert next(p for t, p in events if t == "ivr.started")["flow"] == "demo"
    assert events[-1][0] == "call.ended" and events[-1][1]["cause"] == "caller-hangup", events


def refused_calls(port):
    """The counter of calls refused for coming from an unknown source, from /metrics."""
    status, _, text = http_get(port, "/metrics")
    assert status == 200
    total = 0.0
    for line in text.splitlines():
        m = re.match(r'hotline_calls_refused_total\{[^}]*reason="unknown-source"[^}]*\} (\S+)',
                     line)
        if m:
            total += float(m.group(1))
    return total


def test_a_call_from_an_address_no_trunk_allows_is_refused_and_counted(serve, tmp_path):
    _, routing = demo_routing()
    server, port, _ = serve(extra=sip_extra(qualify="0s") + routing)
    before = refused_calls(port)
    scenario = caller_scenario(tmp_path / "stranger.xml", "+33140000000", expect=403)
    rc, out = run_caller(scenario, "+14155550100", bind=STRANGER, timeout=20)
    assert rc == 0, out  # the scenario expects the 403 (and ACKs it)
    assert refused_calls(port) == before + 1
    server.stop()
    calls = call_events(tmp_path / "data" / "hotline.db")
    assert not any(t == "call.routed" for events in calls.values() for t, _ in events)
