// The configuration of calls: the media engine, numbering and the dial plan,
// trunks, feature codes, IVR flow files, and the contact center (skills, queues,
// agents). Read with the rest of hotline.yaml; names are checked across sections
// (a dial-plan rule naming an unknown flow, queue or trunk is an error with its
// position). See docs/configuration.md and docs/calls.md.
//
// Thread-safety: plain values once loaded (flows are immutable shared snapshots).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/cc_config.hpp"
#include "cc/ivr/calendar.hpp"
#include "cc/ivr/flow.hpp"
#include "common/config_reader.hpp"
#include "switch/b2bua.hpp"
#include "switch/dialplan.hpp"
#include "switch/feature_codes.hpp"
#include "switch/trunks.hpp"

namespace hotline::app {

struct MediaConfig {
  std::string address = "127.0.0.1";  // bound and advertised in SDP
  std::uint16_t rtp_port_min = 20000;
  std::uint16_t rtp_port_max = 29999;
  int threads = 0;  // 0 = one per core
  Duration rtp_timeout = std::chrono::seconds(30);
};

struct CallsConfig {
  MediaConfig media;
  Duration ring_timeout = std::chrono::seconds(30);
  Duration max_duration = std::chrono::hours(4);
  std::string speech_voice = "en-us";
  // `calls.recording`: what is recorded and where. An empty dir means
  // <server.data_dir>/recordings; a relative one is relative to data_dir.
  sw::RecordingPolicy recording;
  // `calls.music_on_hold`: a file (relative to hotline.yaml) or { tts: text };
  // unset: the B2BUA's default (a spoken "Please hold.").
  std::optional<cc::ivr::Command> music_on_hold;
  sw::DialPlan dialplan;
  sw::TrunkTable trunks;
  sw::FeatureCodes feature_codes;
  std::shared_ptr<const cc::ivr::FlowSet> flows = std::make_shared<const cc::ivr::FlowSet>();
  ContactCenterConfig contact_center;
  // Named holiday calendars ("2026-12-25" dates), shared by IVR hours nodes
  // (`holidays: france`) and the WFM forecast (`hotline wfm forecast --calendar`).
  std::map<std::string, std::vector<std::string>, std::less<>> calendars;
  // The source text of each section read here (and of each IVR flow file under
  // "ivr"), so a reload can tell which sections changed.
  std::map<std::string, std::string, std::less<>> sources;
};

// Reads `calendars` ({ name: [dates] }); every date checked (YYYY-MM-DD).
void read_calendars(const ConfigNode& node,
                    std::map<std::string, std::vector<std::string>, std::less<>>& out);

// Time zones from the system's tz database (/usr/share/zoneinfo).
const cc::ivr::ZoneResolver& system_zones();

// Reads media, calls, numbering, dialplan, trunks, feature_codes, ivr and the
// contact-center sections of `root`. IVR flow files are relative to `base_dir`.
void read_calls(const ConfigNode& root, const std::filesystem::path& base_dir, ConfigErrors& errors,
                CallsConfig& out);

}  // namespace hotline::app
