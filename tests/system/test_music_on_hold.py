"""Music on hold for queue callers: the contact center asks for `moh/<class>`;
hotline plays calls.music_on_hold (a file or speech) for every class, or a spoken
default, instead of failing to open a file of that name."""

from sip_helpers import sip_extra
from test_calls import CALLS, caller

QUEUE = """
  - { name: sales, number: "200", to: { queue: sales } }
skills: [sales]
queues:
  sales: { strategy: longest-idle, ring_timeout: 15s }
agents:
  agent-1: { extensions: ["1001"], skills: { sales: 5 }, queues: [sales] }
"""


def wait_in_queue(serve, extra=""):
    server, _, _ = serve(extra=sip_extra(qualify="0s") + CALLS + QUEUE + extra)
    # No agent is logged in: the customer waits, hears the music, hangs up after 3 s.
    customer = caller("200", user="1002", media_port=32400, talk_ms=3000)
    out, err = customer.communicate(timeout=60)
    assert customer.returncode == 0, out + err
    server.stop()
    return server.log()


def test_queue_callers_hear_the_default_music(serve):
    log = wait_in_queue(serve)
    assert "prompt unavailable" not in log, log
    assert "Please hold, your call is important to us." in log, log


def test_queue_callers_hear_the_configured_music(serve):
    log = wait_in_queue(serve, "calls: { music_on_hold: { tts: Thank you for waiting. } }\n")
    assert "prompt unavailable" not in log, log
    assert "Thank you for waiting." in log, log
