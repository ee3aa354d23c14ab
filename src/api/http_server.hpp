// The HTTP/1.1 + WebSocket server of hotline (Boost.Beast): routes registered by
// the app, GET /health, GET /metrics, static files of the web console, and the
// live event stream at GET /ws. Every 4xx/5xx carries a JSON error body; every
// limit in HttpOptions is enforced per connection (see docs/http.md).
//
// Thread-safety: none. The server runs on the caller's io_context, which is meant
// to be the single control-loop thread: handlers run there and need no locks.
// REQUIRES: every member is called on that thread, or while the io_context is not
// running; the io_context outlives the server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http_types.hpp"
#include "api/router.hpp"
#include "api/websocket_hub.hpp"
#include "common/error.hpp"
#include "common/metrics.hpp"

namespace hotline::api {

namespace detail {
struct ServerState;
}

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, HttpOptions options, MetricsRegistry& metrics);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes for the app; /health, /metrics and /ws are registered already.
  Router& router();
  // Fields merged into the GET /health body (after "status" and "uptime_s").
  void set_health(std::function<nlohmann::json()> provider);

  // Binds and listens. Errors: "address 127.0.0.1:8080 is already in use",
  // permission denied, unknown host; calling it twice is kFailedPrecondition.
  Status start();
  // Stops accepting, lets responses being written finish, closes idle and reading
  // connections, sends WebSocket clients 1001. Idempotent.
  void stop();
  // The bound port (options.listen.port 0 picks a free one); 0 before start().
  std::uint16_t port() const;
  // Takes effect for the next request (SIGHUP reload).
  void set_static_dir(std::string dir);
  WebSocketHub& websocket_hub();
  // Open connections (HTTP and WebSocket) counted against max_connections.
  std::size_t connection_count() const;

 private:
  std::shared_ptr<detail::ServerState> state_;
};

}  // namespace hotline::api
