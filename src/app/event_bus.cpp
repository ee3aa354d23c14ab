#include "app/event_bus.hpp"

#include "common/log.hpp"

namespace hotline::app {

EventBus::EventBus(const Clock& clock, std::string tenant, store::EventWriter& writer,
                   api::WebSocketHub& live)
    : clock_(clock), tenant_(std::move(tenant)), writer_(writer), live_(live) {}

bool EventBus::publish(std::string type, nlohmann::json payload, EventIds ids) {
  store::Event e;
  e.tenant_id = tenant_;
  e.ts = clock_.now();
  e.type = std::move(type);
  e.interaction_id = std::move(ids.interaction_id);
  e.agent_id = std::move(ids.agent_id);
  e.queue_id = std::move(ids.queue_id);
  e.payload = payload.dump();

  nlohmann::json live = {{"type", e.type},
                         {"ts", format_rfc3339(e.ts)},
                         {"tenant", e.tenant_id},
                         {"payload", std::move(payload)}};
  if (!e.interaction_id.empty()) live["interaction_id"] = e.interaction_id;
  if (!e.agent_id.empty()) live["agent_id"] = e.agent_id;
  if (!e.queue_id.empty()) live["queue_id"] = e.queue_id;
  live_.publish(live.dump());

  const std::string type_copy = e.type;
  if (!writer_.append(std::move(e))) {
    log::error("events", "event log queue full; event not stored", {log::kv("type", type_copy)});
    return false;
  }
  return true;
}

}  // namespace hotline::app
