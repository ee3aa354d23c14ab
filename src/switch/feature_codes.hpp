// Feature codes a softphone dials: *50 log in as agent, *51 ready, *52 not ready
// (optionally *52 followed by a reason's digit: *522 = the second reason), *59 log
// out, *98 voicemail. The codes are configurable; the switch answers a feature call
// itself (a confirmation tone or prompt) and hands the request to the ACD.
//
// Thread-safety: an immutable value once loaded.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config_reader.hpp"

namespace hotline::sw {

enum class Feature { kAgentLogin, kAgentReady, kAgentNotReady, kAgentLogout, kVoicemail };

std::string_view to_string(Feature feature);

struct FeatureMatch {
  Feature feature;
  std::string argument;  // digits after the code ("2" in *522), may be empty
};

class FeatureCodes {
 public:
  FeatureCodes();  // the defaults above

  // The feature a dialled number asks for, if any. The longest code that prefixes
  // the number wins; what follows must be digits (at most 4).
  std::optional<FeatureMatch> match(std::string_view dialled) const;
  void set(Feature feature, std::string code);
  const std::string& code(Feature feature) const;

 private:
  std::vector<std::pair<Feature, std::string>> codes_;
};

// Reads `feature_codes` ({ agent_login: "*50", ... }); codes must start with '*' or
// '#', hold only dial-pad characters and not prefix one another.
FeatureCodes read_feature_codes(const ConfigNode& node);

}  // namespace hotline::sw
