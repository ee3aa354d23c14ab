#include "api/http_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <utility>
#include <vector>

#include "api/http_session.hpp"
#include "api/server_state.hpp"
#include "common/log.hpp"

namespace hotline::api {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// After an accept error such as EMFILE, wait before accepting again instead of
// spinning on the same error.
constexpr Duration kAcceptRetry = std::chrono::milliseconds(100);

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void accept_next(const std::shared_ptr<detail::ServerState>& state) {
  state->acceptor.async_accept([state](error_code ec, tcp::socket socket) {
    if (state->stopping) return;
    if (ec) {
      log::warn("http", "accept failed", {log::kv("error", ec.message())});
      state->accept_retry.expires_after(kAcceptRetry);
      state->accept_retry.async_wait([state](error_code wec) {
        if (!wec && !state->stopping) accept_next(state);
      });
      return;
    }
    if (state->connections >= state->options.max_connections) {
      state->rejected_total.inc();
      auto session = std::make_shared<detail::HttpSession>(std::move(socket), state, nullptr);
      session->start_reject();
    } else {
      auto slot = std::make_unique<detail::ConnectionSlot>(state);
      auto session =
          std::make_shared<detail::HttpSession>(std::move(socket), state, std::move(slot));
      session->start();
    }
    accept_next(state);
  });
}

std::string bind_error(const HostPort& where, const error_code& ec) {
  const std::string addr = where.to_string();
  if (ec == asio::error::address_in_use) return "address " + addr + " is already in use";
  if (ec == asio::error::access_denied) return "permission denied binding " + addr;
  if (ec == boost::system::errc::address_not_available) {
    return "address " + addr + " is not available on this host";
  }
  return "cannot listen on " + addr + ": " + ec.message();
}

}  // namespace

namespace detail {

ServerState::ServerState(asio::io_context& io, HttpOptions opts, MetricsRegistry& registry)
    : ioc(io),
      options(std::move(opts)),
      metrics(registry),
      static_files(options.static_dir),
      hub(registry, options.ws_max_queued_messages),
      acceptor(io),
      accept_retry(io),
      connections_gauge(
          registry.gauge("hotline_http_connections", "Open HTTP and WebSocket connections.")),
      rejected_total(registry.counter("hotline_http_rejected_connections_total",
                                      "Connections refused with 503 over max_connections.")) {
  const auto t0 = started_at;
  registry.gauge_fn("hotline_uptime_seconds", "Seconds since the server started.",
                    [t0] { return seconds_since(t0); });
}

void ServerState::count_status(int status) {
  auto it = requests_by_status.find(status);
  if (it == requests_by_status.end()) {
    Counter& c = metrics.counter("hotline_http_requests_total", "HTTP responses sent, by status.",
                                 {{"status", std::to_string(status)}});
    it = requests_by_status.emplace(status, &c).first;
  }
  it->second->inc();
}

std::uint64_t ServerState::track(std::weak_ptr<Closeable> who) {
  const std::uint64_t id = next_id++;
  live.emplace(id, std::move(who));
  return id;
}

void ServerState::stop() {
  if (stopping) return;
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  std::vector<std::shared_ptr<Closeable>> open;
  for (auto& [id, weak] : live) {
    if (auto s = weak.lock()) open.push_back(std::move(s));
  }
  for (auto& s : open) s->shutdown();
}

ConnectionSlot::ConnectionSlot(std::shared_ptr<ServerState> state) : state_(std::move(state)) {
  ++state_->connections;
  state_->connections_gauge.set(static_cast<std::int64_t>(state_->connections));
}

ConnectionSlot::~ConnectionSlot() {
  --state_->connections;
  state_->connections_gauge.set(static_cast<std::int64_t>(state_->connections));
}

}  // namespace detail

HttpServer::HttpServer(asio::io_context& ioc, HttpOptions options, MetricsRegistry& metrics)
    : state_(std::make_shared<detail::ServerState>(ioc, std::move(options), metrics)) {
  detail::ServerState* s = state_.get();  // the router is owned by the state
  state_->router.add("GET", "/health", [s](const Request&) {
    nlohmann::json body = {{"status", "ok"},
                           {"uptime_s", static_cast<std::int64_t>(seconds_since(s->started_at))}};
    if (s->health) body.update(s->health());
    Response r;
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
  });
  state_->router.add("GET", "/metrics", [s](const Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = s->metrics.render();
    return r;
  });
  state_->router.add("GET", "/ws", [](const Request&) {
    Response r = json_error(426, "upgrade_required", "GET /ws expects a WebSocket upgrade");
    r.headers.emplace_back("Upgrade", "websocket");
    return r;
  });
}

HttpServer::~HttpServer() {
  stop();
}

Router& HttpServer::router() {
  return state_->router;
}

void HttpServer::set_health(std::function<nlohmann::json()> provider) {
  state_->health = std::move(provider);
}

Status HttpServer::start() {
  if (state_->started) return fail(ErrorCode::kFailedPrecondition, "http server already started");
  const HostPort& where = state_->options.listen;
  error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(where.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, where.port);
  } else {
    tcp::resolver resolver(state_->ioc);
    auto results = resolver.resolve(where.host, std::to_string(where.port),
                                    tcp::resolver::passive | tcp::resolver::address_configured, ec);
    if (ec || results.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "cannot resolve http listen host '" + where.host + "'");
    }
    endpoint = results.begin()->endpoint();
  }
  tcp::acceptor& acc = state_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acc.close(ignored);
    return fail(ec == asio::error::address_in_use ? ErrorCode::kUnavailable : ErrorCode::kIo,
                bind_error(where, ec));
  }
  state_->started = true;
  log::info("http", "listening", {log::kv("address", where.host), log::kv("port", port())});
  accept_next(state_);
  return {};
}

void HttpServer::stop() {
  state_->stop();
}

std::uint16_t HttpServer::port() const {
  error_code ec;
  auto ep = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::set_static_dir(std::string dir) {
  state_->options.static_dir = dir;
  state_->static_files = StaticFiles(std::move(dir));
}

WebSocketHub& HttpServer::websocket_hub() {
  return state_->hub;
}

std::size_t HttpServer::connection_count() const {
  return state_->connections;
}

}  // namespace hotline::api
