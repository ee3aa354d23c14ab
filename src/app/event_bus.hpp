// The one place events leave the control loop: each published event is appended
// to the event log (asynchronously, through store::EventWriter) and pushed to the
// live WebSocket stream. Later modules (switch, cc) publish through this seam.
//
// Thread-safety: control-loop thread only.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "api/http_server.hpp"
#include "common/clock.hpp"
#include "store/event_writer.hpp"

namespace hotline::app {

struct EventIds {
  std::string interaction_id;
  std::string agent_id;
  std::string queue_id;
};

class EventBus {
 public:
  EventBus(const Clock& clock, std::string tenant, store::EventWriter& writer,
           api::WebSocketHub& live);

  // Returns false when the event log queue is full (the event is still streamed live).
  bool publish(std::string type, nlohmann::json payload, EventIds ids = {});

 private:
  const Clock& clock_;
  std::string tenant_;
  store::EventWriter& writer_;
  api::WebSocketHub& live_;
};

}  // namespace hotline::app
