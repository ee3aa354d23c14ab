// The server's configuration: the typed schema, its YAML reader and the rules for
// what a SIGHUP may change. Every field has a default; the embedded demo
// configuration (config/hotline.example.yaml) is what runs without --config.
//
// Thread-safety: plain values; loaded on the control loop or in main().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

struct SipConfig {
  std::vector<SipListener> listen{{SipTransport::kUdp, {"127.0.0.1", 5060}},
                                  {SipTransport::kTcp, {"127.0.0.1", 5060}}};
  std::string tls_certificate = "var/tls/server.crt";
  std::string tls_private_key = "var/tls/server.key";
};

struct Config {
  ServerConfig server;
  LogConfig log;
  HttpConfig http;
  StorageConfig storage;
  SipConfig sip;
};

struct LoadedConfig {
  std::optional<Config> config;  // set only when errors is empty
  ConfigErrors errors;
};

// Parses YAML text; `file` names it in error messages.
LoadedConfig load_config_text(std::string_view text, const std::string& file);
// Reads and parses a file; an unreadable file is reported as an error, not thrown.
LoadedConfig load_config_file(const std::string& path);
// The demo configuration compiled into the binary.
std::string_view embedded_config_text();
inline constexpr std::string_view kEmbeddedConfigName = "<embedded hotline.example.yaml>";

// What a reload may change now (log level/format, HTTP static directory) and which
// changed settings need a restart to take effect.
struct ReloadPlan {
  std::vector<std::string> applied;        // config paths applied live
  std::vector<std::string> needs_restart;  // config paths changed but kept as they were
};
ReloadPlan plan_reload(const Config& running, const Config& loaded);

}  // namespace hotline::app
