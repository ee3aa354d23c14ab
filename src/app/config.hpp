// The server's configuration: the typed schema, its YAML reader and the rules for
// what a SIGHUP may change. Every field has a default; the embedded demo
// configuration (config/hotline.example.yaml) is what runs without --config.
//
// Thread-safety: plain values; loaded on the control loop or in main().
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/call_config.hpp"
#include "app/voicemail_config.hpp"
#include "common/clock.hpp"
#include "common/config_reader.hpp"
#include "common/log.hpp"

namespace hotline::app {

struct ServerConfig {
  std::string tenant = "default";  // tenant of every row and event on a single-company install
  std::string data_dir = "var";    // recordings, prompt cache, the SQLite file by default
  int worker_threads = 2;          // blocking work: disk, database, webhooks, speech synthesis
  Duration shutdown_timeout = std::chrono::seconds(10);
};

struct LogConfig {
  log::Level level = log::Level::kInfo;
  log::Format format = log::Format::kText;
};

struct HttpConfig {
  HostPort listen{"127.0.0.1", 8080};
  std::string static_dir = "web/dist";
  std::int64_t max_connections = 1024;
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 1024 * 1024;
  Duration request_timeout = std::chrono::seconds(30);
  Duration idle_timeout = std::chrono::seconds(60);
};

struct StorageConfig {
  std::string url = "sqlite:var/hotline.db";
  std::int64_t event_batch_max = 2000;
  Duration event_flush_interval = std::chrono::milliseconds(20);
  std::int64_t event_queue_capacity = 1'000'000;
};

enum class SipTransport { kUdp, kTcp, kTls };
std::string_view to_string(SipTransport t);

struct SipListener {
  SipTransport transport = SipTransport::kUdp;
  HostPort address{"127.0.0.1", 5060};
  friend bool operator==(const SipListener&, const SipListener&) = default;
};

enum class DigestAlgorithmName { kMd5, kSha256 };
// What the registrar does with requests from a source address banned for failed
// authentications: ignore them (no answer at all) or answer 403.
enum class BanResponse { kDrop, kForbidden };

struct SipRegistrarConfig {
  Duration min_expires = std::chrono::seconds(60);   // shorter: 423 with Min-Expires
  Duration max_expires = std::chrono::hours(1);      // longer requests are capped
  Duration default_expires = std::chrono::hours(1);  // neither Expires nor expires=
  std::int64_t max_contacts_per_user = 10;
};

struct SipAuthConfig {
  std::string realm = "hotline";
  std::vector<DigestAlgorithmName> algorithms{DigestAlgorithmName::kMd5};
  Duration nonce_lifetime = std::chrono::minutes(5);
  std::int64_t max_failures_per_source = 20;  // within failure_window; 0 = never ban
  std::int64_t max_failures_per_user = 10;
  Duration failure_window = std::chrono::minutes(1);
  Duration ban_time = std::chrono::minutes(10);
  BanResponse ban_response = BanResponse::kDrop;
};

struct SipConfig {
  std::vector<SipListener> listen{{SipTransport::kUdp, {"127.0.0.1", 5060}},
                                  {SipTransport::kTcp, {"127.0.0.1", 5060}}};
  std::string tls_certificate = "var/tls/server.crt";
  std::string tls_private_key = "var/tls/server.key";
  // RFC 3261 timers: RTT estimate, retransmit cap, how long a message lingers.
  Duration t1 = std::chrono::milliseconds(500);
  Duration t2 = std::chrono::seconds(4);
  Duration t4 = std::chrono::seconds(5);
  std::int64_t max_transactions = 100'000;
  // Server / User-Agent header value; empty (the default) sends none, so scanners
  // learn neither product nor version.
  std::string server_header;
  Duration qualify_interval = std::chrono::seconds(30);  // OPTIONS to each contact; 0 = off
  SipRegistrarConfig registrar;
  SipAuthConfig auth;
};

// A phone (an agent's extension) allowed to register: user name and password.
struct Extension {
  std::string user;
  std::string password;
  std::string name;  // display name, optional
  friend bool operator==(const Extension&, const Extension&) = default;
};

struct Config {
  ServerConfig server;
  LogConfig log;
  HttpConfig http;
  StorageConfig storage;
  SipConfig sip;
  std::vector<Extension> extensions;
  CallsConfig calls;  // media, dial plan, trunks, IVR, queues and agents
  VoicemailConfig voicemail;
};

struct LoadedConfig {
  std::optional<Config> config;  // set only when errors is empty
  ConfigErrors errors;
};

// Parses YAML text; `file` names it in error messages.
// Relative paths inside (IVR flow files) are resolved against `file`'s directory,
// or `base_dir` when given (the embedded configuration uses the source tree's
// config/ directory).
LoadedConfig load_config_text(std::string_view text, const std::string& file);
LoadedConfig load_config_text(std::string_view text, const std::string& file,
                              const std::filesystem::path& base_dir);
// Reads and parses a file; an unreadable file is reported as an error, not thrown.
LoadedConfig load_config_file(const std::string& path);
// The demo configuration compiled into the binary.
std::string_view embedded_config_text();
// The embedded configuration, its relative paths resolved in the source tree's
// config/ directory (where `make run` finds config/ivr/demo.yaml).
LoadedConfig load_embedded_config();
inline constexpr std::string_view kEmbeddedConfigName = "<embedded hotline.example.yaml>";

// What a reload may change now (log level/format, HTTP static directory,
// extensions, call routing: numbering, dialplan, trunks, feature_codes, ivr,
// calendars) and which changed settings need a restart to take effect.
struct ReloadPlan {
  std::vector<std::string> applied;        // config paths applied live
  std::vector<std::string> needs_restart;  // config paths changed but kept as they were
};
ReloadPlan plan_reload(const Config& running, const Config& loaded);

}  // namespace hotline::app
