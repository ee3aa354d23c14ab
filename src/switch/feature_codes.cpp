#include "switch/feature_codes.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hotline::sw {
namespace {

constexpr std::pair<Feature, std::string_view> kNames[] = {
    {Feature::kAgentLogin, "agent_login"},
    {Feature::kAgentReady, "agent_ready"},
    {Feature::kAgentNotReady, "agent_not_ready"},
    {Feature::kAgentLogout, "agent_logout"},
    {Feature::kVoicemail, "voicemail"}};

bool dialpad(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '*' || c == '#'; });
}

}  // namespace

std::string_view to_string(Feature feature) {
  for (const auto& [f, name] : kNames) {
    if (f == feature) return name;
  }
  return "?";
}

FeatureCodes::FeatureCodes()
    : codes_{{Feature::kAgentLogin, "*50"},
             {Feature::kAgentReady, "*51"},
             {Feature::kAgentNotReady, "*52"},
             {Feature::kAgentLogout, "*59"},
             {Feature::kVoicemail, "*98"}} {}

void FeatureCodes::set(Feature feature, std::string code) {
  for (auto& [f, c] : codes_) {
    if (f == feature) c = std::move(code);
  }
}

const std::string& FeatureCodes::code(Feature feature) const {
  for (const auto& [f, c] : codes_) {
    if (f == feature) return c;
  }
  static const std::string kNone;
  return kNone;
}

std::optional<FeatureMatch> FeatureCodes::match(std::string_view dialled) const {
  const std::pair<Feature, std::string>* best = nullptr;
  for (const auto& entry : codes_) {
    if (!entry.second.empty() && dialled.starts_with(entry.second) &&
        (best == nullptr || entry.second.size() > best->second.size())) {
      best = &entry;
    }
  }
  if (best == nullptr) return std::nullopt;
  const std::string_view rest = dialled.substr(best->second.size());
  if (rest.size() > 4 ||
      !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return FeatureMatch{best->first, std::string(rest)};
}

FeatureCodes read_feature_codes(const ConfigNode& node) {
  FeatureCodes codes;
  if (!node.defined() || !node.expect_keys({"agent_login", "agent_ready", "agent_not_ready",
                                            "agent_logout", "voicemail"})) {
    return codes;
  }
  for (const auto& [feature, name] : kNames) {
    std::string code;
    if (!node.read_string(name, code)) continue;
    if (code.size() < 2 || (code[0] != '*' && code[0] != '#') || !dialpad(code)) {
      node.child(name).error(
          fmt::format("'{}': a feature code starts with * or # and holds only "
                      "digits, * and #",
                      code));
      continue;
    }
    codes.set(feature, code);
  }
  for (const auto& [a, name_a] : kNames) {
    for (const auto& [b, name_b] : kNames) {
      const std::string& ca = codes.code(a);
      const std::string& cb = codes.code(b);
      if (a != b && ca.size() <= cb.size() && cb.starts_with(ca)) {
        node.error(fmt::format("{} ({}) is a prefix of {} ({}): one could never be dialled", name_a,
                               ca, name_b, cb));
        return codes;
      }
    }
  }
  return codes;
}

}  // namespace hotline::sw
