#include "app/call_config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

#include "cc/ivr/flow_loader.hpp"
#include "cc/ivr/tzif.hpp"
#include "common/text_file.hpp"

namespace hotline::app {
namespace {

void read_media(const ConfigNode& node, MediaConfig& m) {
  if (!node.defined() || !node.expect_keys({"address", "rtp_ports", "threads", "rtp_timeout"})) {
    return;
  }
  node.read_string("address", m.address);
  std::string ports;
  if (node.read_string("rtp_ports", ports)) {
    unsigned lo = 0, hi = 0;
    char dash = 0;
    std::istringstream in(ports);
    if (!(in >> lo >> dash >> hi) || dash != '-' || lo < 1024 || hi > 65535 || hi < lo + 1) {
      node.child("rtp_ports")
          .error(fmt::format("'{}': write a range such as 20000-29999 (ports 1024-65535)", ports));
    } else {
      m.rtp_port_min = static_cast<std::uint16_t>(lo);
      m.rtp_port_max = static_cast<std::uint16_t>(hi);
    }
  }
  std::int64_t threads = m.threads;
  if (node.read_int("threads", threads, 0, 64)) m.threads = static_cast<int>(threads);
  node.read_duration("rtp_timeout", m.rtp_timeout, std::chrono::seconds(1), std::chrono::hours(1));
}

std::optional<sw::RecordingMode> recording_mode(const ConfigNode& node) {
  auto text = node.as_string();
  if (!text) return std::nullopt;
  if (*text == "off" || *text == "false") return sw::RecordingMode::kOff;
  if (*text == "stereo") return sw::RecordingMode::kStereo;
  if (*text == "mixed") return sw::RecordingMode::kMixed;
  static constexpr std::string_view kModes[] = {"off", "stereo", "mixed"};
  node.error(ConfigNode::unknown_choice_message("recording mode", *text, kModes));
  return std::nullopt;
}

void read_recording(const ConfigNode& node, sw::RecordingPolicy& r) {
  if (!node.defined() || !node.expect_keys({"mode", "dir", "queues", "extensions"})) return;
  if (node.has("mode")) {
    if (auto m = recording_mode(node.child("mode"))) r.mode = *m;
  }
  std::string dir;
  if (node.read_string("dir", dir)) r.dir = dir;
  for (auto [key, target] :
       {std::pair{"queues", &r.queues}, std::pair{"extensions", &r.extensions}}) {
    const ConfigNode map = node.child(key);
    if (!map.defined() || !map.expect_map()) continue;
    for (const auto& [name, value] : map.entries()) {
      if (auto m = recording_mode(value)) (*target)[name] = *m;
    }
  }
}

// A file name relative to the configuration, or { tts: "text" } / { file: name }.
void read_music(const ConfigNode& node, const std::filesystem::path& base_dir,
                std::optional<cc::ivr::Command>& out) {
  if (!node.defined()) return;
  std::string file, tts;
  if (node.yaml().IsMap()) {
    if (!node.expect_keys({"file", "tts"})) return;
    node.read_string("file", file);
    node.read_string("tts", tts);
    if (file.empty() == tts.empty()) {
      node.error("music_on_hold: give one of `file` or `tts`");
      return;
    }
  } else if (auto text = node.as_string()) {
    file = *text;
  } else {
    return;
  }
  if (!tts.empty()) {
    out = cc::ivr::PlayTts{0, tts, "", "", false};
    return;
  }
  const std::filesystem::path path = base_dir / file;
  if (!std::filesystem::exists(path)) {
    node.error(fmt::format("music_on_hold: no such file '{}'", path.string()));
    return;
  }
  out = cc::ivr::PlayFile{0, path.string(), false};
}

}  // namespace

const cc::ivr::ZoneResolver& system_zones() {
  static const cc::ivr::TzifZones zones([](std::string_view zone) {
    auto text = read_text_file(
        (std::filesystem::path("/usr/share/zoneinfo") / std::string(zone)).string(), 1 << 20);
    return text ? std::optional<std::string>(std::move(*text)) : std::nullopt;
  });
  return zones;
}

void read_calendars(const ConfigNode& node,
                    std::map<std::string, std::vector<std::string>, std::less<>>& out) {
  if (!node.defined() || !node.expect_map()) return;
  for (const auto& [name, list] : node.entries()) {
    std::vector<std::string> dates;
    for (const ConfigNode& item : list.items()) {
      auto text = item.as_string();
      if (!text) continue;
      if (auto d = cc::ivr::parse_date(*text); !d) {
        item.error(d.error().message);
        continue;
      }
      dates.push_back(*text);
    }
    out[name] = std::move(dates);
  }
}

void read_calls(const ConfigNode& root, const std::filesystem::path& base_dir, ConfigErrors& errors,
                CallsConfig& out) {
  for (std::string_view section :
       {"media", "calls", "calendars", "ivr", "numbering", "dialplan", "trunks", "feature_codes",
        "skills", "acd", "queues", "agents"}) {
    const ConfigNode node = root.child(section);
    if (node.defined()) out.sources[std::string(section)] = YAML::Dump(node.yaml());
  }
  read_media(root.child("media"), out.media);
  const ConfigNode calls = root.child("calls");
  if (calls.defined() &&
      calls.expect_keys({"ring_timeout", "max_duration", "voice", "recording", "music_on_hold"})) {
    calls.read_duration("ring_timeout", out.ring_timeout, std::chrono::seconds(5),
                        std::chrono::minutes(10));
    calls.read_duration("max_duration", out.max_duration, std::chrono::minutes(1),
                        std::chrono::hours(48));
    calls.read_string("voice", out.speech_voice);
    read_recording(calls.child("recording"), out.recording);
    read_music(calls.child("music_on_hold"), base_dir, out.music_on_hold);
  }

  read_calendars(root.child("calendars"), out.calendars);
  std::vector<std::string> calendar_names;
  for (const auto& [name, dates] : out.calendars) calendar_names.push_back(name);

  // IVR flows: each file's `flows:` mapping, every name once.
  cc::ivr::FlowSet flows;
  const ConfigNode ivr = root.child("ivr");
  if (ivr.defined() && ivr.expect_keys({"files"})) {
    for (const ConfigNode& item : ivr.child("files").items()) {
      auto name = item.as_string();
      if (!name) continue;
      const std::filesystem::path path = base_dir / *name;
      auto text = read_text_file(path.string());
      if (!text) {
        item.error(fmt::format("cannot read the IVR flow file ({})", text.error().message));
        continue;
      }
      cc::ivr::LoadOptions options;
      options.zones = &system_zones();
      options.calendar = [&out](std::string_view calendar) -> const std::vector<std::string>* {
        auto it = out.calendars.find(calendar);
        return it == out.calendars.end() ? nullptr : &it->second;
      };
      options.calendar_names = calendar_names;
      options.prompt_exists = [dir = path.parent_path()](std::string_view file) {
        return std::filesystem::exists(dir / std::string(file));
      };
      out.sources["ivr"] += "\n# " + path.string() + "\n" + *text;
      auto loaded = cc::ivr::load_flows_from_text(*text, path.string(), options, errors);
      if (!loaded) continue;
      for (auto& [flow_name, flow] : loaded->flows) {
        if (flows.flows.contains(flow_name)) {
          item.error(fmt::format("flow '{}' is defined in more than one file", flow_name));
          continue;
        }
        flows.flows.emplace(flow_name, flow);
      }
    }
  }
  out.flows = std::make_shared<const cc::ivr::FlowSet>(std::move(flows));

  read_contact_center(root, out.contact_center);

  sw::NumberingPlan numbering;  // read again inside read_dial_plan; trunks need it first
  out.trunks = sw::read_trunks(root.child("trunks"), numbering);
  sw::DialPlanNames names;
  for (const auto& [name, flow] : out.flows->flows) names.ivr_flows.push_back(name);
  for (const CcQueue& q : out.contact_center.queues) names.queues.push_back(q.config.name);
  names.trunks = out.trunks.names();
  // Empty lists are not checked by the dial plan: name something so an unknown
  // target is still caught when a section is empty.
  if (names.ivr_flows.empty()) names.ivr_flows.push_back("");
  if (names.queues.empty()) names.queues.push_back("");
  if (names.trunks.empty()) names.trunks.push_back("");
  out.dialplan = sw::read_dial_plan(root.child("dialplan"), root.child("numbering"), names);
  out.feature_codes = sw::read_feature_codes(root.child("feature_codes"));
}

}  // namespace hotline::app
