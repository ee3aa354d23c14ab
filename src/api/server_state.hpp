// Internal: the state every connection of one HttpServer shares. Connections hold
// it by shared_ptr so that a completion arriving after the server object is gone
// still finds valid state (and finds it stopped).
//
// Thread-safety: none; everything here lives on the server's io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "api/http_types.hpp"
#include "api/router.hpp"
#include "api/static_files.hpp"
#include "api/websocket_hub.hpp"
#include "common/metrics.hpp"

namespace hotline::api::detail {

// Anything stop() must be able to close: HTTP and WebSocket sessions.
class Closeable {
 public:
  virtual ~Closeable() = default;
  virtual void shutdown() = 0;
};

struct ServerState {
  ServerState(boost::asio::io_context& io, HttpOptions opts, MetricsRegistry& registry);

  void count_status(int status);
  std::uint64_t track(std::weak_ptr<Closeable> who);
  void untrack(std::uint64_t id) { live.erase(id); }
  void stop();

  boost::asio::io_context& ioc;
  HttpOptions options;
  MetricsRegistry& metrics;
  Router router;
  StaticFiles static_files;
  std::function<nlohmann::json()> health;
  WebSocketHub hub;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer accept_retry;
  std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
  bool started = false;
  bool stopping = false;

  Gauge& connections_gauge;
  Counter& rejected_total;
  std::map<int, Counter*> requests_by_status;
  std::size_t connections = 0;  // counted against options.max_connections
  std::size_t rejecting = 0;    // over-cap connections being told 503
  std::uint64_t next_id = 1;
  std::unordered_map<std::uint64_t, std::weak_ptr<Closeable>> live;
};

// One accepted connection counted against max_connections, for as long as the
// object lives; it moves from the HTTP session to the WebSocket session on upgrade.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<ServerState> state);
  ~ConnectionSlot();
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  const std::shared_ptr<ServerState>& state() const { return state_; }

 private:
  std::shared_ptr<ServerState> state_;
};

}  // namespace hotline::api::detail
