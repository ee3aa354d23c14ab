// The current set of IVR flows, replaced as a whole on reload (SIGHUP). New calls
// take the flow from the current snapshot; a Session keeps the shared_ptr it was
// given, so calls in progress finish on the flow they started with and the old
// snapshot is freed when its last call ends.
//
// Thread-safety: none; owned by the control loop like the sessions (DESIGN.md,
// principle 3). Snapshots themselves are immutable and may be read anywhere.
#pragma once

#include <memory>
#include <string_view>
#include <utility>

#include "cc/ivr/flow.hpp"

namespace hotline::cc::ivr {

class FlowRegistry {
 public:
  FlowRegistry() : current_(std::make_shared<const FlowSet>()) {}

  // Installs a new snapshot (already validated); returns the generation number.
  std::uint64_t replace(FlowSet flows) {
    current_ = std::make_shared<const FlowSet>(std::move(flows));
    return ++generation_;
  }
  // The flow a new call should run; nullptr when unknown.
  std::shared_ptr<const Flow> find(std::string_view name) const { return current_->find(name); }
  const std::shared_ptr<const FlowSet>& snapshot() const { return current_; }
  std::uint64_t generation() const { return generation_; }

 private:
  std::shared_ptr<const FlowSet> current_;
  std::uint64_t generation_ = 0;
};

}  // namespace hotline::cc::ivr
