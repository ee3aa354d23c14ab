#include "api/websocket_hub.hpp"

#include <vector>

#include "api/ws_session.hpp"

namespace hotline::api {

WebSocketHub::WebSocketHub(MetricsRegistry& metrics, std::size_t max_queued_messages)
    : clients_gauge_(metrics.gauge("hotline_websocket_clients", "Connected WebSocket clients.")),
      dropped_(metrics.counter("hotline_websocket_dropped_total",
                               "WebSocket clients disconnected for falling behind.")),
      max_queued_(max_queued_messages == 0 ? 1 : max_queued_messages) {}

void WebSocketHub::publish(std::string text) {
  if (clients_.empty()) return;
  auto message = std::make_shared<const std::string>(std::move(text));
  // A snapshot: a session may leave the hub while we walk it.
  std::vector<std::pair<std::uint64_t, std::shared_ptr<detail::WsSession>>> targets(
      clients_.begin(), clients_.end());
  bool removed = false;
  for (auto& [id, session] : targets) {
    if (!session->enqueue(message)) {
      removed |= clients_.erase(id) > 0;
      dropped_.inc();
    }
  }
  if (removed) changed();
}

void WebSocketHub::on_clients_changed(std::function<void(std::size_t)> observer) {
  observer_ = std::move(observer);
}

void WebSocketHub::add(std::uint64_t id, std::shared_ptr<detail::WsSession> session) {
  clients_[id] = std::move(session);
  changed();
}

void WebSocketHub::remove(std::uint64_t id) {
  if (clients_.erase(id) > 0) changed();
}

void WebSocketHub::changed() {
  clients_gauge_.set(static_cast<std::int64_t>(clients_.size()));
  if (observer_) observer_(clients_.size());
}

}  // namespace hotline::api
