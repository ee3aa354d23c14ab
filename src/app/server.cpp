#include "app/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <memory>

#include "api/http_server.hpp"
#include "app/call_service.hpp"
#include "app/event_bus.hpp"
#include "app/http_lookup.hpp"
#include "app/sip_service.hpp"
#include "app/voicemail_api.hpp"
#include "app/wfm_api.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/worker_pool.hpp"
#include "store/event_writer.hpp"
#include "store/location_repository.hpp"
#include "store/store.hpp"

namespace hotline::app {
namespace {

constexpr std::string_view kComponent = "server";

api::HttpOptions http_options(const HttpConfig& c) {
  api::HttpOptions o;
  o.listen = c.listen;
  o.static_dir = c.static_dir;
  o.max_connections = static_cast<std::size_t>(c.max_connections);
  o.max_header_bytes = static_cast<std::size_t>(c.max_header_bytes);
  o.max_body_bytes = static_cast<std::size_t>(c.max_body_bytes);
  o.request_timeout = c.request_timeout;
  o.idle_timeout = c.idle_timeout;
  return o;
}

store::EventWriterOptions writer_options(const StorageConfig& c) {
  store::EventWriterOptions o;
  o.max_batch = static_cast<std::size_t>(c.event_batch_max);
  o.flush_interval = c.event_flush_interval;
  o.queue_capacity = static_cast<std::size_t>(c.event_queue_capacity);
  return o;
}

// Passwords in a postgres URL stay out of logs.
std::string redact_url(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

// Every call holds four sockets (RTP and RTCP on two legs), so Debian's default soft
// limit of 1,024 descriptors would cap a server near 250 calls. Raise the soft limit
// to the hard one, as Asterisk's maxfiles and nginx's worker_rlimit_nofile do.
// Returns the limit in force.
rlim_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  return limit.rlim_cur;
}

}  // namespace

Server::Server(Config config, std::optional<std::string> config_path)
    : config_(std::move(config)), config_path_(std::move(config_path)) {}

int Server::run() {
  log::init(config_.log.level, config_.log.format);
  const SystemClock clock;
  const MonoTime started = clock.mono();
  MetricsRegistry metrics;
  metrics.gauge("hotline_build_info", "Build information", {{"version", HOTLINE_VERSION}}).set(1);
  metrics.gauge_fn("hotline_uptime_seconds", "Seconds since the server started", [&clock, started] {
    return std::chrono::duration<double>(clock.mono() - started).count();
  });

  const rlim_t descriptors = raise_descriptor_limit();
  log::info(kComponent, "starting",
            {log::kv("version", HOTLINE_VERSION), log::kv("tenant", config_.server.tenant),
             log::kv("config", config_path_.value_or(std::string(kEmbeddedConfigName))),
             log::kv("max_open_files", static_cast<std::uint64_t>(descriptors))});
  if (descriptors < 4096) {
    log::warn(kComponent, "few file descriptors: each call needs four; raise the hard limit",
              {log::kv("max_open_files", static_cast<std::uint64_t>(descriptors))});
  }

  std::error_code ec;
  std::filesystem::create_directories(config_.server.data_dir, ec);
  if (ec) {
    log::error(kComponent, "cannot create the data directory",
               {log::kv("data_dir", config_.server.data_dir), log::kv("error", ec.message())});
    return 1;
  }

  // Storage: migrate before anything can write, then hand a connection of its own
  // to the event log writer's thread.
  const std::string url_for_log = redact_url(config_.storage.url);
  auto db = store::open_store(config_.storage.url);
  if (!db) {
    log::error(kComponent, "cannot open storage",
               {log::kv("url", url_for_log), log::kv("error", db.error().message)});
    return 1;
  }
  if (auto st = (*db)->migrate(); !st) {
    log::error(kComponent, "cannot migrate storage",
               {log::kv("url", url_for_log), log::kv("error", st.error().message)});
    return 1;
  }
  const int schema = (*db)->schema_version().value_or(-1);
  log::info(kComponent, "storage ready",
            {log::kv("backend", (*db)->backend()), log::kv("url", url_for_log),
             log::kv("schema_version", schema)});
  auto writer_db = store::open_store(config_.storage.url);
  if (!writer_db) {
    log::error(kComponent, "cannot open storage for the event log writer",
               {log::kv("error", writer_db.error().message)});
    return 1;
  }
  store::EventWriter writer(std::move(*writer_db), writer_options(config_.storage), metrics);

  // Registrar contacts: the unexpired ones are loaded now (before the loop runs);
  // changes are written later by a writer thread with its own connection.
  store::LocationRepository contacts_repo((*db)->database());
  if (auto gone = contacts_repo.remove_expired(config_.server.tenant, clock.now()); !gone) {
    log::warn(kComponent, "cannot drop expired SIP contacts",
              {log::kv("error", gone.error().message)});
  }
  auto saved_contacts = contacts_repo.load(config_.server.tenant, clock.now());
  if (!saved_contacts) {
    log::error(kComponent, "cannot load SIP contacts",
               {log::kv("error", saved_contacts.error().message)});
    writer.stop();
    return 1;
  }
  auto contacts_db = store::open_database(config_.storage.url);
  if (!contacts_db) {
    log::error(kComponent, "cannot open storage for the SIP contact writer",
               {log::kv("error", contacts_db.error().message)});
    writer.stop();
    return 1;
  }
  store::LocationWriter contacts_writer(std::move(*contacts_db), metrics);

  boost::asio::io_context loop(1);
  WorkerPool workers(static_cast<std::size_t>(config_.server.worker_threads));

  api::HttpServer http(loop, http_options(config_.http), metrics);
  const std::string backend((*db)->backend());
  http.set_health([&, backend, schema] {
    return nlohmann::json{{"version", HOTLINE_VERSION},
                          {"tenant", config_.server.tenant},
                          {"storage", {{"backend", backend}, {"schema_version", schema}}}};
  });
  if (auto st = http.start(); !st) {
    log::error(kComponent, "cannot start HTTP", {log::kv("error", st.error().message)});
    writer.stop();
    return 1;
  }
  log::info(kComponent, "http listening",
            {log::kv("address", HostPort{config_.http.listen.host, http.port()}.to_string()),
             log::kv("static_dir", config_.http.static_dir)});

  SipService sip_service(loop, clock, config_.sip, config_.extensions, config_.server.tenant,
                         metrics, &contacts_writer);
  sip_service.restore(*saved_contacts);
  if (auto st = sip_service.start(); !st) {
    log::error(kComponent, "cannot start SIP", {log::kv("error", st.error().message)});
    http.stop();
    writer.stop();
    return 1;
  }
  add_wfm_routes(http.router(), workers, loop);
  add_demo_balance_route(http.router());
  http.router().add("GET", "/api/v1/sip/registrations", [&sip_service](const api::Request&) {
    api::Response r;
    r.body = sip_service.registrations().dump();
    return r;
  });

  EventBus events(clock, config_.server.tenant, writer, http.websocket_hub());
  sip_service.set_event_sink([&events](std::string type, nlohmann::json payload) {
    events.publish(std::move(type), std::move(payload));
  });
  // Voicemail messages: a connection of its own, shared by the API and the workers
  // that store new messages.
  auto voicemail_db = store::open_database(config_.storage.url);
  if (!voicemail_db) {
    log::error(kComponent, "cannot open storage for voicemail",
               {log::kv("error", voicemail_db.error().message)});
    sip_service.stop();
    http.stop();
    writer.stop();
    return 1;
  }
  VoicemailStore voicemail_store(std::move(*voicemail_db));
  add_voicemail_routes(http.router(), voicemail_store, config_.server.tenant);
  CallService calls(loop, clock, config_, sip_service, workers, events);
  calls.set_voicemail_store(&voicemail_store);
  calls.set_metrics(&metrics);
  if (auto st = calls.start(); !st) {
    log::error(kComponent, "cannot start calls", {log::kv("error", st.error().message)});
    sip_service.stop();
    http.stop();
    writer.stop();
    return 1;
  }
  events.publish("system.started", {{"version", HOTLINE_VERSION}, {"schema_version", schema}});

  bool stopping = false;
  auto stop = [&](int signo) {
    if (stopping) return;
    stopping = true;
    log::info(kComponent, "stopping", {log::kv("signal", signo == SIGINT ? "SIGINT" : "SIGTERM")});
    http.stop();
    calls.stop();  // BYE/CANCEL go out while the SIP listeners are still open
    sip_service.stop();
    events.publish("system.stopped", {{"signal", signo == SIGINT ? "SIGINT" : "SIGTERM"}});
    loop.stop();
  };

  auto reload = [&] {
    if (!config_path_) {
      log::warn(kComponent, "SIGHUP: running on the embedded configuration; nothing to reload");
      return;
    }
    log::info(kComponent, "SIGHUP: reloading configuration", {log::kv("config", *config_path_)});
    workers.submit(
        loop, [path = *config_path_] { return load_config_file(path); },
        [&](LoadedConfig loaded) {
          if (!loaded.config) {
            for (const ConfigError& e : loaded.errors.all())
              log::error(kComponent, "reload rejected", {log::kv("error", e.to_string())});
            log::warn(kComponent, "configuration not reloaded; the running one stays in force");
            return;
          }
          const ReloadPlan plan = plan_reload(config_, *loaded.config);
          config_.log = loaded.config->log;
          config_.http.static_dir = loaded.config->http.static_dir;
          log::init(config_.log.level, config_.log.format);
          http.set_static_dir(config_.http.static_dir);
          config_.extensions = loaded.config->extensions;
          sip_service.set_extensions(config_.extensions);
          {  // call routing; media, queues and agents stay as they were
            CallsConfig& running = config_.calls;
            const CallsConfig& next = loaded.config->calls;
            running.dialplan = next.dialplan;
            running.trunks = next.trunks;
            running.feature_codes = next.feature_codes;
            running.flows = next.flows;
            running.calendars = next.calendars;
            for (const char* s :
                 {"numbering", "dialplan", "trunks", "feature_codes", "ivr", "calendars"}) {
              if (auto it = next.sources.find(s); it != next.sources.end())
                running.sources[s] = it->second;
              else
                running.sources.erase(s);
            }
            calls.reload(running);
          }
          for (const auto& p : plan.applied)
            log::info(kComponent, "reloaded", {log::kv("setting", p)});
          for (const auto& p : plan.needs_restart)
            log::warn(kComponent, "changed but needs a restart; old value kept",
                      {log::kv("setting", p)});
          events.publish("system.config_reloaded",
                         {{"applied", plan.applied}, {"needs_restart", plan.needs_restart}});
        });
  };

  boost::asio::signal_set signals(loop, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& err, int signo) {
        if (err) return;
        if (signo == SIGHUP) {
          reload();
          signals.async_wait(on_signal);
        } else {
          stop(signo);
        }
      };
  signals.async_wait(on_signal);
  log::info(kComponent, "ready");

  loop.run();

  workers.join();
  contacts_writer.stop();  // every contact change so far is durable after this
  writer.stop();           // every event appended so far is durable after this
  log::info(kComponent, "stopped");
  return 0;
}

}  // namespace hotline::app
