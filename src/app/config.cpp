#include "app/config.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "common/text_file.hpp"

namespace hotline::app {
namespace {

bool valid_tenant_id(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

void read_server(const ConfigNode& n, ServerConfig& c) {
  n.expect_keys({"tenant", "data_dir", "worker_threads", "shutdown_timeout"});
  if (n.read_string("tenant", c.tenant) && !valid_tenant_id(c.tenant)) {
    n.child("tenant").error(
        fmt::format("'{}' is not a tenant id (1-63 characters: a-z, 0-9, '-' or '_')", c.tenant));
  }
  if (n.read_string("data_dir", c.data_dir) && c.data_dir.empty()) {
    n.child("data_dir").error("must not be empty");
  }
  std::int64_t workers = c.worker_threads;
  if (n.read_int("worker_threads", workers, 1, 64)) c.worker_threads = static_cast<int>(workers);
  n.read_duration("shutdown_timeout", c.shutdown_timeout, std::chrono::seconds(0),
                  std::chrono::minutes(10));
}

void read_log(const ConfigNode& n, LogConfig& c) {
  n.expect_keys({"level", "format"});
  n.read_enum("level", c.level, "log level",
              {{"trace", log::Level::kTrace},
               {"debug", log::Level::kDebug},
               {"info", log::Level::kInfo},
               {"warn", log::Level::kWarn},
               {"error", log::Level::kError}});
  n.read_enum("format", c.format, "log format",
              {{"text", log::Format::kText}, {"json", log::Format::kJson}});
}

void read_http(const ConfigNode& n, HttpConfig& c) {
  n.expect_keys({"listen", "static_dir", "max_connections", "max_header_bytes", "max_body_bytes",
                 "request_timeout", "idle_timeout"});
  n.read_host_port("listen", c.listen);
  n.read_string("static_dir", c.static_dir);
  n.read_int("max_connections", c.max_connections, 1, 1'000'000);
  n.read_size("max_header_bytes", c.max_header_bytes, 1024, 1024 * 1024);
  n.read_size("max_body_bytes", c.max_body_bytes, 0, 1024ULL * 1024 * 1024);
  n.read_duration("request_timeout", c.request_timeout, std::chrono::milliseconds(100),
                  std::chrono::hours(1));
  n.read_duration("idle_timeout", c.idle_timeout, std::chrono::milliseconds(100),
                  std::chrono::hours(24));
}

void read_storage(const ConfigNode& n, StorageConfig& c) {
  n.expect_keys({"url", "event_batch_max", "event_flush_interval", "event_queue_capacity"});
  if (n.read_string("url", c.url)) {
    const bool known = c.url.starts_with("sqlite:") || c.url.starts_with("postgres://") ||
                       c.url.starts_with("postgresql://");
    if (!known) {
      n.child("url").error(fmt::format(
          "'{}' is not a storage URL (write sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB)",
          c.url));
    } else if (c.url == "sqlite:") {
      n.child("url").error("sqlite: needs a file path, e.g. sqlite:var/hotline.db");
    }
  }
  n.read_int("event_batch_max", c.event_batch_max, 1, 100'000);
  n.read_duration("event_flush_interval", c.event_flush_interval, std::chrono::milliseconds(1),
                  std::chrono::seconds(10));
  n.read_int("event_queue_capacity", c.event_queue_capacity, 1000, 100'000'000);
}

void read_registrar(const ConfigNode& n, SipRegistrarConfig& c) {
  n.expect_keys({"min_expires", "max_expires", "default_expires", "max_contacts_per_user"});
  n.read_duration("min_expires", c.min_expires, std::chrono::seconds(1), std::chrono::hours(24));
  n.read_duration("max_expires", c.max_expires, std::chrono::seconds(1),
                  std::chrono::hours(24 * 7));
  n.read_duration("default_expires", c.default_expires, std::chrono::seconds(1),
                  std::chrono::hours(24 * 7));
  n.read_int("max_contacts_per_user", c.max_contacts_per_user, 1, 1000);
  if (c.min_expires > c.max_expires) {
    n.error("min_expires must not be longer than max_expires");
  }
}

void read_auth(const ConfigNode& n, SipAuthConfig& c) {
  n.expect_keys({"realm", "algorithms", "nonce_lifetime", "max_failures_per_source",
                 "max_failures_per_user", "failure_window", "ban_time", "ban_response"});
  if (n.read_string("realm", c.realm) &&
      (c.realm.empty() || c.realm.find('"') != std::string::npos)) {
    n.child("realm").error("must be a non-empty string without '\"'");
  }
  std::vector<std::string> algorithms;
  if (n.read_string_list("algorithms", algorithms)) {
    c.algorithms.clear();
    for (const std::string& a : algorithms) {
      if (a == "md5" || a == "MD5") {
        c.algorithms.push_back(DigestAlgorithmName::kMd5);
      } else if (a == "sha-256" || a == "SHA-256") {
        c.algorithms.push_back(DigestAlgorithmName::kSha256);
      } else {
        n.child("algorithms").error(fmt::format("unknown digest algorithm '{}' (md5, sha-256)", a));
      }
    }
    if (algorithms.empty()) n.child("algorithms").error("needs at least one algorithm");
  }
  n.read_duration("nonce_lifetime", c.nonce_lifetime, std::chrono::seconds(1),
                  std::chrono::hours(24));
  n.read_int("max_failures_per_source", c.max_failures_per_source, 0, 1'000'000);
  n.read_int("max_failures_per_user", c.max_failures_per_user, 0, 1'000'000);
  n.read_duration("failure_window", c.failure_window, std::chrono::seconds(1),
                  std::chrono::hours(24));
  n.read_duration("ban_time", c.ban_time, std::chrono::seconds(1), std::chrono::hours(24 * 30));
  n.read_enum("ban_response", c.ban_response, "ban response",
              {{"drop", BanResponse::kDrop}, {"forbidden", BanResponse::kForbidden}});
}

void read_extensions(const ConfigNode& n, std::vector<Extension>& out) {
  if (!n.defined()) return;
  out.clear();
  for (const ConfigNode& item : n.items()) {
    item.expect_keys({"user", "password", "name"});
    Extension e;
    if (!item.has("user")) item.error("missing 'user' (e.g. \"1001\")");
    if (!item.has("password")) item.error("missing 'password'");
    if (item.read_string("user", e.user)) {
      const bool ok = !e.user.empty() && e.user.size() <= 64 &&
                      e.user.find_first_not_of(
                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789-_.+") == std::string::npos;
      if (!ok) {
        item.child("user").error(fmt::format(
            "'{}' is not an extension user (1-64 characters: letters, digits, - _ . +)", e.user));
      }
    }
    if (item.read_string("password", e.password) && e.password.empty()) {
      item.child("password").error("must not be empty");
    }
    item.read_string("name", e.name);
    for (const Extension& prev : out) {
      if (!e.user.empty() && prev.user == e.user)
        item.error(fmt::format("extension '{}' is listed twice", e.user));
    }
    out.push_back(std::move(e));
  }
}

void read_sip(const ConfigNode& n, SipConfig& c) {
  n.expect_keys({"listen", "tls_certificate", "tls_private_key", "t1", "t2", "t4",
                 "max_transactions", "server_header", "qualify_interval", "registrar", "auth"});
  const ConfigNode listen = n.child("listen");
  if (listen.defined()) {
    std::vector<SipListener> out;
    for (const ConfigNode& item : listen.items()) {
      item.expect_keys({"transport", "address"});
      SipListener l;
      item.read_enum(
          "transport", l.transport, "transport",
          {{"udp", SipTransport::kUdp}, {"tcp", SipTransport::kTcp}, {"tls", SipTransport::kTls}});
      if (!item.has("address")) item.error("missing 'address' (e.g. 127.0.0.1:5060)");
      item.read_host_port("address", l.address);
      for (const SipListener& prev : out) {
        if (prev == l)
          item.error(
              fmt::format("{} {} is listed twice", to_string(l.transport), l.address.to_string()));
      }
      out.push_back(l);
    }
    c.listen = std::move(out);
  }
  n.read_string("tls_certificate", c.tls_certificate);
  n.read_string("tls_private_key", c.tls_private_key);
  n.read_duration("t1", c.t1, std::chrono::milliseconds(10), std::chrono::seconds(10));
  n.read_duration("t2", c.t2, std::chrono::milliseconds(100), std::chrono::seconds(60));
  n.read_duration("t4", c.t4, std::chrono::milliseconds(100), std::chrono::seconds(60));
  if (c.t2 < c.t1) n.error("t2 must not be shorter than t1");
  n.read_int("max_transactions", c.max_transactions, 100, 10'000'000);
  n.read_string("server_header", c.server_header);
  n.read_duration("qualify_interval", c.qualify_interval, std::chrono::seconds(0),
                  std::chrono::hours(24));
  read_registrar(n.child("registrar"), c.registrar);
  read_auth(n.child("auth"), c.auth);
}

}  // namespace

std::string_view to_string(SipTransport t) {
  switch (t) {
    case SipTransport::kUdp: return "udp";
    case SipTransport::kTcp: return "tcp";
    case SipTransport::kTls: return "tls";
  }
  return "udp";
}

LoadedConfig load_config_text(std::string_view text, const std::string& file) {
  return load_config_text(text, file, std::filesystem::path(file).parent_path());
}

LoadedConfig load_config_text(std::string_view text, const std::string& file,
                              const std::filesystem::path& base_dir) {
  LoadedConfig out;
  auto doc = parse_yaml(text, file, out.errors);
  if (!doc) return out;
  Config cfg;
  const ConfigNode root = ConfigNode::root(*doc, file, out.errors);
  if (doc->IsDefined() && !doc->IsNull() && !doc->IsMap()) {
    root.error(
        "the configuration must be a mapping of sections (server, log, http, storage, sip, "
        "extensions)");
    return out;
  }
  root.expect_keys({"server", "log", "http", "storage", "sip", "extensions", "media", "calls",
                    "numbering", "dialplan", "trunks", "feature_codes", "ivr", "skills", "acd",
                    "queues", "agents", "calendars", "voicemail"});
  read_server(root.child("server"), cfg.server);
  read_log(root.child("log"), cfg.log);
  read_http(root.child("http"), cfg.http);
  read_storage(root.child("storage"), cfg.storage);
  read_sip(root.child("sip"), cfg.sip);
  read_extensions(root.child("extensions"), cfg.extensions);
  read_calls(root, base_dir, out.errors, cfg.calls);
  read_voicemail(root.child("voicemail"), base_dir, cfg.voicemail);
  if (out.errors.empty()) out.config = std::move(cfg);
  return out;
}

LoadedConfig load_embedded_config() {
  return load_config_text(embedded_config_text(), std::string(kEmbeddedConfigName),
                          std::filesystem::path(HOTLINE_CONFIG_DIR));
}

LoadedConfig load_config_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) {
    LoadedConfig out;
    out.errors.add(ConfigError{"", "cannot read the configuration file", path, 0, 0});
    return out;
  }
  return load_config_text(*text, path);
}

ReloadPlan plan_reload(const Config& running, const Config& loaded) {
  ReloadPlan plan;
  auto live = [&](bool changed, const char* path) {
    if (changed) plan.applied.emplace_back(path);
  };
  auto restart = [&](bool changed, const char* path) {
    if (changed) plan.needs_restart.emplace_back(path);
  };
  live(running.log.level != loaded.log.level, "log.level");
  live(running.log.format != loaded.log.format, "log.format");
  live(running.http.static_dir != loaded.http.static_dir, "http.static_dir");
  live(running.extensions != loaded.extensions, "extensions");
  auto calls_section = [&](std::string_view section) {
    auto text = [section](const Config& c) {
      auto it = c.calls.sources.find(section);
      return it == c.calls.sources.end() ? std::string() : it->second;
    };
    return text(running) != text(loaded);
  };
  // Call routing: new calls take it, calls in progress keep their flow.
  live(calls_section("numbering"), "numbering");
  live(calls_section("dialplan"), "dialplan");
  live(calls_section("trunks"), "trunks");
  live(calls_section("feature_codes"), "feature_codes");
  live(calls_section("ivr"), "ivr");
  live(calls_section("calendars"), "calendars");  // read by IVR hours nodes

  restart(running.server.tenant != loaded.server.tenant, "server.tenant");
  restart(running.server.data_dir != loaded.server.data_dir, "server.data_dir");
  restart(running.server.worker_threads != loaded.server.worker_threads, "server.worker_threads");
  restart(running.server.shutdown_timeout != loaded.server.shutdown_timeout,
          "server.shutdown_timeout");
  restart(!(running.http.listen == loaded.http.listen), "http.listen");
  restart(running.http.max_connections != loaded.http.max_connections, "http.max_connections");
  restart(running.http.max_header_bytes != loaded.http.max_header_bytes, "http.max_header_bytes");
  restart(running.http.max_body_bytes != loaded.http.max_body_bytes, "http.max_body_bytes");
  restart(running.http.request_timeout != loaded.http.request_timeout, "http.request_timeout");
  restart(running.http.idle_timeout != loaded.http.idle_timeout, "http.idle_timeout");
  restart(running.storage.url != loaded.storage.url, "storage.url");
  restart(running.storage.event_batch_max != loaded.storage.event_batch_max,
          "storage.event_batch_max");
  restart(running.storage.event_flush_interval != loaded.storage.event_flush_interval,
          "storage.event_flush_interval");
  restart(running.storage.event_queue_capacity != loaded.storage.event_queue_capacity,
          "storage.event_queue_capacity");
  restart(running.sip.listen != loaded.sip.listen, "sip.listen");
  restart(running.sip.tls_certificate != loaded.sip.tls_certificate, "sip.tls_certificate");
  restart(running.sip.tls_private_key != loaded.sip.tls_private_key, "sip.tls_private_key");
  restart(running.sip.t1 != loaded.sip.t1, "sip.t1");
  restart(running.sip.t2 != loaded.sip.t2, "sip.t2");
  restart(running.sip.t4 != loaded.sip.t4, "sip.t4");
  restart(running.sip.max_transactions != loaded.sip.max_transactions, "sip.max_transactions");
  restart(running.sip.server_header != loaded.sip.server_header, "sip.server_header");
  restart(running.sip.qualify_interval != loaded.sip.qualify_interval, "sip.qualify_interval");
  restart(
      running.sip.registrar.min_expires != loaded.sip.registrar.min_expires ||
          running.sip.registrar.max_expires != loaded.sip.registrar.max_expires ||
          running.sip.registrar.default_expires != loaded.sip.registrar.default_expires ||
          running.sip.registrar.max_contacts_per_user != loaded.sip.registrar.max_contacts_per_user,
      "sip.registrar");
  restart(running.sip.auth.realm != loaded.sip.auth.realm ||
              running.sip.auth.algorithms != loaded.sip.auth.algorithms ||
              running.sip.auth.nonce_lifetime != loaded.sip.auth.nonce_lifetime ||
              running.sip.auth.max_failures_per_source != loaded.sip.auth.max_failures_per_source ||
              running.sip.auth.max_failures_per_user != loaded.sip.auth.max_failures_per_user ||
              running.sip.auth.failure_window != loaded.sip.auth.failure_window ||
              running.sip.auth.ban_time != loaded.sip.auth.ban_time ||
              running.sip.auth.ban_response != loaded.sip.auth.ban_response,
          "sip.auth");
  restart(calls_section("media"), "media");
  restart(calls_section("calls"), "calls");
  restart(calls_section("skills"), "skills");
  restart(calls_section("acd"), "acd");
  restart(calls_section("queues"), "queues");
  restart(calls_section("agents"), "agents");
  return plan;
}

}  // namespace hotline::app
