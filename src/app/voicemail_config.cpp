#include "app/voicemail_config.hpp"

#include <filesystem>

namespace hotline::app {
namespace {

void read_prompt(const ConfigNode& node, const std::filesystem::path& base_dir,
                 VoicemailPrompt& out) {
  if (!node.defined()) return;
  if (node.yaml().IsScalar()) {  // a plain string is text to say
    if (auto text = node.as_string()) out = {*text, ""};
    return;
  }
  if (!node.expect_keys({"tts", "file"})) return;
  VoicemailPrompt p;
  node.read_string("tts", p.tts);
  node.read_string("file", p.file);
  if (p.tts.empty() == p.file.empty()) {
    node.error("give exactly one of tts (text to say) or file (a WAV recording)");
    return;
  }
  if (!p.file.empty()) {
    std::filesystem::path path(p.file);
    if (path.is_relative()) path = base_dir / path;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      node.child("file").error("greeting file '" + path.string() + "' does not exist");
      return;
    }
    p.file = path.string();
  }
  out = std::move(p);
}

}  // namespace

void read_voicemail(const ConfigNode& node, const std::filesystem::path& base_dir,
                    VoicemailConfig& out) {
  if (!node.defined()) return;
  if (!node.expect_keys({"max_length", "min_length", "silence", "silence_level", "greeting",
                         "goodbye", "beep_hz", "beep_length", "directory", "boxes"}))
    return;
  using namespace std::chrono_literals;
  node.read_duration("max_length", out.max_length, 1s, 1h);
  node.read_duration("min_length", out.min_length, 0s, 1min);
  node.read_duration("silence", out.silence, 0s, 10min);
  std::int64_t level = out.silence_level;
  if (node.read_int("silence_level", level, 1, 32767)) out.silence_level = static_cast<int>(level);
  std::int64_t hz = out.beep_hz;
  if (node.read_int("beep_hz", hz, 100, 3900)) out.beep_hz = static_cast<int>(hz);
  node.read_duration("beep_length", out.beep_length, 0s, 5s);
  node.read_string("directory", out.directory);
  read_prompt(node.child("greeting"), base_dir, out.greeting);
  read_prompt(node.child("goodbye"), base_dir, out.goodbye);
  const ConfigNode boxes = node.child("boxes");
  if (!boxes.defined() || !boxes.expect_map()) return;
  for (const auto& [name, box_node] : boxes.entries()) {
    VoicemailBox box;
    if (!box_node.expect_keys({"greeting", "max_length"})) continue;
    read_prompt(box_node.child("greeting"), base_dir, box.greeting);
    box_node.read_duration("max_length", box.max_length, 1s, 1h);
    if (name.empty() || name.find_first_of("/\\.") != std::string::npos) {
      box_node.error("a box name may not be empty or hold '/', '\\' or '.'");
      continue;
    }
    out.boxes[name] = std::move(box);
  }
}

}  // namespace hotline::app
