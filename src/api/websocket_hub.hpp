// Fan-out of server-pushed text messages (the live event stream for wallboards and
// agent desktops) to every WebSocket client connected at GET /ws.
//
// Invariants:
//  1. Each client has a send queue of at most HttpOptions::ws_max_queued_messages
//     messages; a client that falls further behind is disconnected with close code
//     1008 (policy violation) instead of making the server hold more memory.
//  2. A message is stored once and shared by every queue that holds it.
//
// Thread-safety: none; every member runs on the control loop that owns the server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/metrics.hpp"

namespace hotline::api {

namespace detail {
class WsSession;
}

class WebSocketHub {
 public:
  WebSocketHub(MetricsRegistry& metrics, std::size_t max_queued_messages);
  WebSocketHub(const WebSocketHub&) = delete;
  WebSocketHub& operator=(const WebSocketHub&) = delete;

  // Sends `text` as one text frame to every connected client.
  void publish(std::string text);

  std::size_t client_count() const { return clients_.size(); }
  std::size_t max_queued_messages() const { return max_queued_; }

  // Called with the new count whenever a client joins or leaves (or is dropped).
  void on_clients_changed(std::function<void(std::size_t)> observer);

 private:
  friend class detail::WsSession;
  void add(std::uint64_t id, std::shared_ptr<detail::WsSession> session);
  void remove(std::uint64_t id);
  void changed();

  Gauge& clients_gauge_;
  Counter& dropped_;
  std::size_t max_queued_;
  std::map<std::uint64_t, std::shared_ptr<detail::WsSession>> clients_;
  std::function<void(std::size_t)> observer_;
};

}  // namespace hotline::api
