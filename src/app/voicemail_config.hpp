// Voicemail settings (the `voicemail` section of hotline.yaml): how long a message
// may be, when silence ends it, what the caller hears, and per-box overrides. A box
// is an extension ("1001") or a name ("general"); boxes need no declaration, the
// `boxes` map only changes their greeting or limits. See docs/voicemail.md.
//
// Thread-safety: plain values.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "common/clock.hpp"
#include "common/config_reader.hpp"

namespace hotline::app {

// A greeting: synthesized text or a recording (WAV), exactly one.
struct VoicemailPrompt {
  std::string tts;
  std::string file;
};

struct VoicemailBox {
  VoicemailPrompt greeting;  // empty: the section's default
  Duration max_length{0};    // 0: the section's
};

struct VoicemailConfig {
  Duration max_length = std::chrono::minutes(3);
  Duration min_length = std::chrono::seconds(1);  // shorter messages are dropped
  Duration silence = std::chrono::seconds(5);     // this much quiet ends a message; 0 = off
  int silence_level = 300;                        // RMS of 16-bit samples below which is quiet
  VoicemailPrompt greeting{"Please leave a message after the tone.", ""};
  VoicemailPrompt goodbye{"Thank you. Goodbye.", ""};
  int beep_hz = 1000;
  Duration beep_length = std::chrono::milliseconds(400);
  std::string directory;  // where messages go; empty: <server.data_dir>/voicemail
  std::map<std::string, VoicemailBox, std::less<>> boxes;
};

// Reads the `voicemail` section (absent: the defaults). Relative greeting files are
// resolved against `base_dir`.
void read_voicemail(const ConfigNode& node, const std::filesystem::path& base_dir,
                    VoicemailConfig& out);

}  // namespace hotline::app
