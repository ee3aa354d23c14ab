"""baresip (a real softphone) registers to hotline with digest over UDP and over
TCP, and its registrations survive a hotline restart: the location service is
persisted and reloaded (seen at GET /api/v1/sip/registrations)."""

import json
import subprocess

import pytest

from conftest import http_get
from sip_helpers import sip_extra

BARESIP_CONFIG = """\
sip_listen\t\t127.0.0.1:5070
net_interface\t\t127.0.0.1
module_path\t\t/usr/lib/baresip/modules
module\t\t\taccount.so
module\t\t\tg711.so
audio_player\t\taufile,/dev/null
audio_source\t\taufile,/dev/null
"""

ACCOUNTS = """\
<sip:1001@127.0.0.1;transport=udp>;auth_pass=pw-1001;regint=600
<sip:1002@127.0.0.1;transport=tcp>;auth_pass=pw-1002;regint=600
"""


def registrations(port):
    status, _, body = http_get(port, "/api/v1/sip/registrations")
    assert status == 200, body
    return {r["aor"]: r for r in json.loads(body)["registrations"]}


@pytest.fixture
def baresip(tmp_path):
    conf = tmp_path / "baresip"
    conf.mkdir()
    (conf / "config").write_text(BARESIP_CONFIG)
    (conf / "accounts").write_text(ACCOUNTS)
    procs = []

    def _start():
        p = subprocess.Popen(["baresip", "-4", "-f", str(conf)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(p)
        return p

    yield _start
    for p in procs:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def test_baresip_registers_over_udp_and_tcp_and_survives_a_restart(serve, baresip):
    s, port, _ = serve(extra=sip_extra(qualify="0s"))
    s.wait_for("msg=listening transport=TCP")
    phone = baresip()
    s.wait_for('msg="contact registered" aor=1001')
    s.wait_for('msg="contact registered" aor=1002')
    before = registrations(port)
    assert before["1001"]["transport"] == "UDP"
    assert before["1002"]["transport"] == "TCP"
    assert "baresip" in before["1001"]["user_agent"]
    assert "authentication failed" not in s.log()

    # Restart hotline; the phone keeps running (its registration is still valid).
    assert s.stop() == 0
    s2, port2, _ = serve(extra=sip_extra(qualify="0s"))
    s2.wait_for('msg="registrations restored" contacts=2')
    after = registrations(port2)
    assert set(after) == {"1001", "1002"}
    for aor in ("1001", "1002"):
        assert after[aor]["contact"] == before[aor]["contact"]
        assert after[aor]["transport"] == before[aor]["transport"]
        assert 0 < after[aor]["expires_in"] <= before[aor]["expires_in"]
    assert phone.poll() is None
