"""Media with a real softphone: baresip calls hotline, hotline plays a prompt, and
what baresip received (dumped by its sndfile module) is checked with sox —
duration, energy and dominant frequency for a tone file, plausible length and
energy for synthesised speech. baresip sends its own tone (aufile source) so the
call carries audio both ways, as a phone does."""

import re
import sqlite3
import subprocess

from sip_helpers import sip_extra

BARESIP_CONFIG = """\
sip_listen\t\t127.0.0.1:5070
net_interface\t\t127.0.0.1
module_path\t\t/usr/lib/baresip/modules
module\t\t\taccount.so
module\t\t\tmenu.so
module\t\t\tg711.so
module\t\t\taufile.so
module\t\t\taubridge.so
module\t\t\tsndfile.so
audio_player\t\taubridge,nil
audio_source\t\taufile,{mic}
snd_path\t\t{dump}
"""


def tone(path, seconds, hz, rate=8000):
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(path), "synth",
                    str(seconds), "sine", str(hz)], check=True)
    return path


def sox_stat(path):
    """sox's `stat` figures of a WAV file, as a dict of floats."""
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
    figures = {}
    for line in out.splitlines():
        m = re.match(r"^(.+?):\s+(-?[\d.]+)$", line.strip())
        if m:
            figures[m.group(1).strip()] = float(m.group(2))
    return figures


def call_from_baresip(tmp_path, number, hz=1000, seconds=15):
    """baresip (extension 1001) dials `number`, sending a `hz` tone, and runs until
    hotline hangs up (or `seconds` pass). Returns (its output, the WAV of what it
    received)."""
    conf = tmp_path / "baresip"
    conf.mkdir()
    dump = tmp_path / "dump"
    dump.mkdir()
    mic = tone(tmp_path / "mic.wav", seconds, hz)
    (conf / "config").write_text(BARESIP_CONFIG.format(mic=mic, dump=dump))
    (conf / "accounts").write_text(
        "<sip:1001@127.0.0.1;transport=udp>;auth_pass=pw-1001;regint=600\n")
    proc = subprocess.Popen(["baresip", "-4", "-f", str(conf), "-e", f"/dial {number}", "-t",
                             str(seconds)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:  # until the call ends (or baresip's own -t limit)
        lines.append(line)
        if "terminated (duration" in line:
            proc.terminate()
    proc.wait(timeout=30)
    out = "".join(lines)
    received = list(dump.glob("*-dec.wav"))
    assert len(received) == 1, out
    return out, received[0]


def serve_flow(serve, tmp_path, nodes):
    flow = tmp_path / "flow.yaml"
    flow.write_text("flows:\n  test:\n    start: play\n    nodes:\n" + nodes)
    extra = sip_extra(qualify="0s") + f"""
media: {{ address: 127.0.0.1, rtp_ports: 31000-31999 }}
dialplan:
  - {{ name: test, number: "500", to: {{ ivr: test }} }}
ivr: {{ files: ["{flow}"] }}
"""
    return serve(extra=extra)


def ended_cause(tmp_path):
    db = sqlite3.connect(tmp_path / "data" / "hotline.db")
    rows = db.execute("SELECT payload FROM events WHERE type = 'call.ended'").fetchall()
    return rows


def test_a_prompt_reaches_the_phone_intact(serve, tmp_path):
    prompt = tone(tmp_path / "prompt.wav", 2, 440, rate=16000)  # resampled to the call's 8 kHz
    server, _, _ = serve_flow(serve, tmp_path, f"""\
      play: {{ type: play, prompt: {{ file: "{prompt}" }}, next: bye }}
      bye: {{ type: hangup }}
""")
    out, received = call_from_baresip(tmp_path, "500", hz=1000)
    assert "Call established" in out, out
    # hotline hung up when the prompt ended, before baresip's own time-out.
    assert "session closed" in out, out
    stat = sox_stat(received)
    assert 1.6 <= stat["Length (seconds)"] <= 2.4, stat  # 2 s, less the first packets
    assert stat["RMS     amplitude"] > 0.2, stat  # a tone, not silence
    assert 420 <= stat["Rough   frequency"] <= 460, stat  # the prompt's 440 Hz, not our 1 kHz
    server.stop()
    assert len(ended_cause(tmp_path)) == 1


def test_synthesised_speech_has_a_plausible_length(serve, tmp_path):
    text = "Thank you for calling. Your call is important to us. Please hold."
    server, _, _ = serve_flow(serve, tmp_path, f"""\
      play: {{ type: play, prompt: {{ tts: "{text}" }}, next: bye }}
      bye: {{ type: hangup }}
""")
    out, received = call_from_baresip(tmp_path, "500")
    assert "Call established" in out, out
    stat = sox_stat(received)
    # Twelve words at espeak-ng's 160 words per minute: about 4.5 s with pauses.
    assert 2.5 <= stat["Length (seconds)"] <= 9.0, stat
    assert stat["RMS     amplitude"] > 0.02, stat  # speech, not silence
    cached = list((tmp_path / "data" / "prompts").glob("*.wav"))
    assert len(cached) == 1
    # The phone heard the whole cached prompt (give or take the first packets).
    assert abs(sox_stat(cached[0])["Length (seconds)"] - stat["Length (seconds)"]) < 0.5
    server.stop()
