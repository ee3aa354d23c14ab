"""Media with a real softphone: baresip calls hotline, hotline plays a prompt, and
what baresip received (dumped by its sndfile module) is checked with sox —
duration, energy and dominant frequency for a tone file, plausible length and
energy for synthesised speech. baresip sends its own tone (aufile source) so the
call carries audio both ways, as a phone does."""

import re
import sqlite3
import struct
import subprocess

from carrier_call import call_events, caller_scenario, key_pcap, run_caller
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


# ---- A bridged call: RFC 2833 keys from SIPp, a tone from baresip, recorded ------

RECORDED_CALL = """
media: {{ address: 127.0.0.1, rtp_ports: 31000-31999 }}
calls:
  recording: {{ mode: stereo, dir: {dir} }}
trunks:
  carrier: {{ address: 127.0.0.1:5090, allow: [127.0.0.1/32] }}
dialplan:
  - {{ name: to agent, number: "1002", from: trunk, to: extension }}
"""


def tone_pcap(path, seconds, hz):
    """A pcap of PCMU RTP packets (20 ms each) carrying a `hz` tone, for SIPp's
    play_pcap_audio (it keeps only the UDP payload; addresses are rewritten)."""
    raw = path.with_suffix(".ul")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "mu-law", "-t", "raw", str(raw),
                    "synth", str(seconds), "sine", str(hz)], check=True)
    audio = raw.read_bytes()
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # Ethernet
    for n, at in enumerate(range(0, len(audio) - 159, 160)):
        rtp = struct.pack(">BBHII", 0x80, 0, n, n * 160, 0x1234ABCD) + audio[at:at + 160]
        udp = struct.pack(">HHHH", 40000, 40000, 8 + len(rtp), 0) + rtp
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
        frame = b"\x00" * 12 + b"\x08\x00" + ip
        t = 1_000_000 + n * 20_000  # µs
        out.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)))
        out.append(frame)
    path.write_bytes(b"".join(out))
    return path


def channel(path, n):
    """sox `stat` of one channel of a stereo file."""
    mono = path.with_name(f"{path.stem}-ch{n}.wav")
    subprocess.run(["sox", str(path), str(mono), "remix", str(n)], check=True)
    return sox_stat(mono)


def test_a_bridged_call_is_recorded_with_each_party_on_its_channel(serve, tmp_path):
    recordings = tmp_path / "recordings"
    server, _, _ = serve(extra=sip_extra(qualify="0s") + RECORDED_CALL.format(dir=recordings))
    # The agent: baresip as 1002, answering on its own, sending a 1 kHz tone.
    conf = tmp_path / "baresip"
    conf.mkdir()
    mic = tone(tmp_path / "mic.wav", 60, 1000)
    (conf / "config").write_text(BARESIP_CONFIG.format(mic=mic, dump=tmp_path))
    (conf / "accounts").write_text(
        "<sip:1002@127.0.0.1;transport=udp>;auth_pass=pw-1002;regint=600;answermode=auto\n")
    agent = subprocess.Popen(["baresip", "-4", "-f", str(conf)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server.wait_for('msg="contact registered" aor=1002')
        # The caller: a carrier's SIPp speaking a 440 Hz tone for 3 s, then keys 4 and 2.
        audio = tone_pcap(tmp_path / "caller-tone.pcap", 3, 440)
        keys = key_pcap(tmp_path / "keys.pcap", "42")
        scenario = tmp_path / "caller.xml"
        caller_scenario(scenario, "+14155550123", hangup_after_ms=100)
        text = scenario.read_text().replace(
            '<recv request="BYE"',
            f'<nop><action><exec play_pcap_audio="{audio}"/></action></nop>\n'
            '<pause milliseconds="3200"/>\n'
            f'<nop><action><exec play_pcap_audio="{keys}"/></action></nop>\n'
            '<pause milliseconds="2000"/>\n<recv request="BYE"', 1)
        scenario.write_text(text)
        status, out = run_caller(scenario, "1002", timeout=60)
        assert status == 0, out
    finally:
        agent.terminate()
        agent.wait(timeout=10)
    server.stop()  # flushes the event log; the recorder has finished by then

    events = [e for evs in call_events(tmp_path / "data" / "hotline.db").values() for e in evs]
    digits = [p["digit"] for t, p in events if t == "call.dtmf" and p["leg"] == "caller"]
    assert digits == ["4", "2"], events
    stopped = [p for t, p in events if t == "call.recording_stopped"]
    assert len(stopped) == 1, events
    files = list(recordings.rglob("*.wav"))
    assert len(files) == 1, files
    whole = sox_stat(files[0])
    assert 4.5 <= whole["Length (seconds)"] <= 8.0, whole  # 3.2 s tone + 2 s keys, then BYE
    caller, agent_side = channel(files[0], 1), channel(files[0], 2)
    assert caller["RMS     amplitude"] > 0.05 and agent_side["RMS     amplitude"] > 0.05
    assert 400 <= caller["Rough   frequency"] <= 480, caller  # the caller's 440 Hz on the left
    assert 950 <= agent_side["Rough   frequency"] <= 1050, agent_side  # the agent's 1 kHz
