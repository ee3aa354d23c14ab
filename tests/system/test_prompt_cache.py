"""Prompt files are decoded once and kept: a second call playing the same file
takes it from the cache; an edited file (new size or mtime) is read again."""

import math
import struct
import wave

from sip_helpers import sip_extra
from test_calls import CALLS, caller


def write_tone(path, seconds):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i * 2 * math.pi / 20)))
                               for i in range(int(8000 * seconds))))


def test_a_prompt_file_is_decoded_once_and_again_when_edited(serve, tmp_path):
    tone = tmp_path / "tone.wav"
    write_tone(tone, 5)
    (tmp_path / "tone.yaml").write_text(f"""
flows:
  tone:
    start: play
    nodes:
      play:
        type: play
        prompt: {{ file: "{tone}" }}
        next: bye
      bye:
        type: hangup
""")
    server, _, _ = serve(extra=sip_extra(qualify="0s") + CALLS +
                         '  - { name: tone, number: "300", to: { ivr: tone } }\n'
                         'ivr: { files: ["tone.yaml"] }\n')

    def call():
        sipp = caller("300")
        out, err = sipp.communicate(timeout=60)
        assert sipp.returncode == 0, out + err

    call()
    assert "prompt unavailable" not in server.log()
    assert server.log().count("prompt from cache") == 0
    call()
    server.wait_for("prompt from cache")
    assert server.log().count("prompt from cache") == 1
    write_tone(tone, 4)  # edited: another size, so read again
    call()
    call()
    server.stop()
    assert server.log().count("prompt from cache") == 2, server.log()
    assert "prompt unavailable" not in server.log()
