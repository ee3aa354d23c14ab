#include "switch/dialplan.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hotline::sw {
namespace {

// One pattern element against one character.
bool element_matches(std::string_view pattern, std::size_t& i, char c) {
  const char p = pattern[i];
  const bool digit = c >= '0' && c <= '9';
  switch (p) {
    case 'X': ++i; return digit;
    case 'Z': ++i; return digit && c != '0';
    case 'N': ++i; return digit && c >= '2';
    case '[': {
      const std::size_t close = pattern.find(']', i);
      std::string_view set = pattern.substr(i + 1, close - i - 1);
      i = close + 1;
      for (std::size_t k = 0; k < set.size(); ++k) {
        if (k + 2 < set.size() && set[k + 1] == '-') {
          if (c >= set[k] && c <= set[k + 2]) return true;
          k += 2;
        } else if (set[k] == c) {
          return true;
        }
      }
      return false;
    }
    default: ++i; return p == c;
  }
}

bool pattern_matches(std::string_view pattern, std::size_t pi, std::string_view s, std::size_t si) {
  while (pi < pattern.size()) {
    const char p = pattern[pi];
    if (p == '.' || p == '!') {
      // '.' needs at least one more character; '!' none. Either ends the pattern.
      return p == '!' || si < s.size();
    }
    if (si >= s.size()) return false;
    if (!element_matches(pattern, pi, s[si])) return false;
    ++si;
  }
  return si == s.size();
}

bool valid_pattern(std::string_view p, std::string& why) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '[') {
      const std::size_t close = p.find(']', i);
      if (close == std::string_view::npos || close == i + 1) {
        why = "a '[' set needs a closing ']' and at least one character";
        return false;
      }
      i = close;
    } else if ((c == '.' || c == '!') && i + 1 != p.size()) {
      why = fmt::format("'{}' may only end a pattern", c);
      return false;
    } else if (!(std::isdigit(static_cast<unsigned char>(c)) || c == 'X' || c == 'Z' || c == 'N' ||
                 c == '+' || c == '*' || c == '#' || c == '.' || c == '!')) {
      why = fmt::format("unexpected '{}' (use digits, X, Z, N, [..], '.', '!', '+', '*', '#')", c);
      return false;
    }
  }
  if (p.empty()) {
    why = "empty pattern";
    return false;
  }
  return true;
}

// The normalised form of a number written in the configuration.
std::optional<std::string> config_number(const ConfigNode& at, const std::string& text,
                                         const NumberingPlan& plan) {
  auto n = normalize(text, plan);
  if (!n) {
    at.error(n.error().message);
    return std::nullopt;
  }
  return n->digits;
}

std::optional<NumberMatch> read_match(const ConfigNode& node, const NumberingPlan& plan) {
  NumberMatch m;
  if (!node.defined()) return m;
  if (node.yaml().IsScalar()) {
    auto text = node.as_string();
    auto n = config_number(node, *text, plan);
    if (!n) return std::nullopt;
    m.kind = NumberMatch::Kind::kExact;
    m.values.push_back(*n);
    return m;
  }
  if (!node.expect_keys({"exact", "prefix", "pattern", "any_of"})) return std::nullopt;
  const auto entries = node.entries();
  if (entries.size() != 1) {
    node.error("give exactly one of exact, prefix, pattern or any_of");
    return std::nullopt;
  }
  const auto& [key, value] = entries.front();
  if (key == "any_of") {
    m.kind = NumberMatch::Kind::kList;
    for (const ConfigNode& item : value.items()) {
      auto text = item.as_string();
      auto n = text ? config_number(item, *text, plan) : std::nullopt;
      if (!n) return std::nullopt;
      m.values.push_back(*n);
    }
    if (m.values.empty()) {
      value.error("any_of needs at least one number");
      return std::nullopt;
    }
    return m;
  }
  auto text = value.as_string();
  if (!text || text->empty()) {
    value.error(fmt::format("{} needs a non-empty string", key));
    return std::nullopt;
  }
  if (key == "exact") {
    auto n = config_number(value, *text, plan);
    if (!n) return std::nullopt;
    m.kind = NumberMatch::Kind::kExact;
    m.values.push_back(*n);
  } else if (key == "prefix") {
    m.kind = NumberMatch::Kind::kPrefix;
    m.values.push_back(*text);
  } else {
    std::string why;
    if (!valid_pattern(*text, why)) {
      value.error(fmt::format("bad pattern '{}': {}", *text, why));
      return std::nullopt;
    }
    m.kind = NumberMatch::Kind::kPattern;
    m.values.push_back(*text);
  }
  return m;
}

void check_name(const ConfigNode& at, std::string_view what, const std::string& name,
                const std::vector<std::string>& known) {
  if (known.empty() || std::find(known.begin(), known.end(), name) != known.end()) return;
  std::vector<std::string_view> views(known.begin(), known.end());
  auto near = closest_match(name, views);
  at.error(near ? fmt::format("unknown {} '{}' (did you mean '{}'?)", what, name, *near)
                : fmt::format("unknown {} '{}'", what, name));
}

std::optional<Target> read_target(const ConfigNode& node, const DialPlanNames& names) {
  Target t;
  // "to: extension" / "to: voicemail": the dialled number itself.
  if (node.yaml().IsScalar()) {
    auto text = node.as_string();
    if (*text == "extension")
      t.kind = Target::Kind::kExtension;
    else if (*text == "voicemail")
      t.kind = Target::Kind::kVoicemail;
    else {
      node.error(
          fmt::format("'{}': write 'extension', 'voicemail' or a map such as "
                      "{{ queue: sales }}",
                      *text));
      return std::nullopt;
    }
    return t;
  }
  if (!node.expect_keys({"ivr", "queue", "extension", "voicemail", "trunk", "reject"})) {
    return std::nullopt;
  }
  const auto entries = node.entries();
  if (entries.size() != 1) {
    node.error("give exactly one target: ivr, queue, extension, voicemail, trunk or reject");
    return std::nullopt;
  }
  const auto& [key, value] = entries.front();
  if (key == "reject") {
    t.kind = Target::Kind::kReject;
    std::int64_t status = 403;
    auto text = value.as_string();
    char* end = nullptr;
    status = text ? std::strtol(text->c_str(), &end, 10) : 0;
    if (!text || *end != '\0' || status < 400 || status > 699) {
      value.error("reject needs a SIP status 400..699");
      return std::nullopt;
    }
    t.reject_status = static_cast<int>(status);
    return t;
  }
  auto text = value.as_string();
  if (!text || text->empty()) {
    value.error(fmt::format("{} needs a name", key));
    return std::nullopt;
  }
  t.name = *text;
  if (key == "ivr") {
    t.kind = Target::Kind::kIvr;
    check_name(value, "IVR flow", t.name, names.ivr_flows);
  } else if (key == "queue") {
    t.kind = Target::Kind::kQueue;
    check_name(value, "queue", t.name, names.queues);
  } else if (key == "extension") {
    t.kind = Target::Kind::kExtension;
  } else if (key == "voicemail") {
    t.kind = Target::Kind::kVoicemail;
  } else {
    t.kind = Target::Kind::kTrunk;
    check_name(value, "trunk", t.name, names.trunks);
  }
  return t;
}

}  // namespace

std::string_view to_string(Target::Kind kind) {
  switch (kind) {
    case Target::Kind::kIvr: return "ivr";
    case Target::Kind::kQueue: return "queue";
    case Target::Kind::kExtension: return "extension";
    case Target::Kind::kVoicemail: return "voicemail";
    case Target::Kind::kTrunk: return "trunk";
    case Target::Kind::kReject: return "reject";
  }
  return "?";
}

bool NumberMatch::matches(std::string_view number) const {
  switch (kind) {
    case Kind::kAny: return true;
    case Kind::kExact: return number == values.front();
    case Kind::kPrefix: return number.starts_with(values.front());
    case Kind::kPattern: return pattern_matches(values.front(), 0, number, 0);
    case Kind::kList: return std::find(values.begin(), values.end(), number) != values.end();
  }
  return false;
}

std::optional<Route> DialPlan::route(const CallInfo& call) const {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const DialRule& r = rules_[i];
    if (!r.number.matches(call.dialled.digits) || !r.caller.matches(call.caller.digits)) continue;
    if (!r.from.empty()) {
      const bool from_ok = std::any_of(r.from.begin(), r.from.end(), [&](const std::string& f) {
        return f == call.origin || (f == "trunk" && call.origin.starts_with("trunk:"));
      });
      if (!from_ok) continue;
    }
    Route route{&r, i, r.target, call.dialled.digits};
    if ((r.target.kind == Target::Kind::kExtension || r.target.kind == Target::Kind::kVoicemail) &&
        route.target.name.empty()) {
      route.target.name = call.dialled.digits;
    }
    if (r.target.kind == Target::Kind::kTrunk) {
      const auto strip =
          std::min<std::size_t>(static_cast<std::size_t>(r.strip), route.number.size());
      route.number = r.prepend + route.number.substr(strip);
    }
    return route;
  }
  return std::nullopt;
}

DialPlan read_dial_plan(const ConfigNode& dialplan, const ConfigNode& numbering,
                        const DialPlanNames& names) {
  NumberingPlan plan;
  if (numbering.defined() &&
      numbering.expect_keys({"country_code", "international_prefix", "trunk_prefix",
                             "national_length", "max_short_length"})) {
    numbering.read_string("country_code", plan.country_code);
    numbering.read_string("international_prefix", plan.international_prefix);
    numbering.read_string("trunk_prefix", plan.trunk_prefix);
    std::int64_t n = plan.national_length;
    if (numbering.read_int("national_length", n, 0, 14)) plan.national_length = static_cast<int>(n);
    n = plan.max_short_length;
    if (numbering.read_int("max_short_length", n, 1, 10))
      plan.max_short_length = static_cast<int>(n);
    if (auto st = validate(plan); !st) numbering.error(st.error().message);
  }
  std::vector<DialRule> rules;
  std::vector<ConfigNode> rule_nodes;  // parallel to rules, for errors found later
  std::size_t position = 0;
  for (const ConfigNode& node : dialplan.items()) {
    ++position;
    if (!node.expect_keys({"name", "number", "caller", "from", "to", "source", "strip", "prepend",
                           "early_media"})) {
      continue;
    }
    DialRule r;
    r.name = fmt::format("rule {}", position);
    node.read_string("name", r.name);
    auto number = read_match(node.child("number"), plan);
    auto caller = read_match(node.child("caller"), plan);
    if (!number || !caller) continue;  // reported; a half-read rule must not route
    r.number = std::move(*number);
    r.caller = std::move(*caller);
    const ConfigNode from = node.child("from");
    if (from.defined()) {
      if (from.yaml().IsSequence()) {
        node.read_string_list("from", r.from);
      } else if (auto text = from.as_string()) {
        r.from.push_back(*text);
      }
      for (const std::string& f : r.from) {
        if (f == "extension" || f == "trunk") continue;
        if (f.starts_with("trunk:")) {
          check_name(from, "trunk", f.substr(6), names.trunks);
          continue;
        }
        from.error(fmt::format("from '{}': write extension, trunk or trunk:<name>", f));
      }
    }
    if (!node.has("to")) {
      node.error("a rule needs 'to' (where matching calls go)");
      continue;
    }
    auto target = read_target(node.child("to"), names);
    if (!target) continue;
    r.target = *target;
    node.read_string("source", r.source);
    std::int64_t strip = 0;
    if (node.read_int("strip", strip, 0, 15)) r.strip = static_cast<int>(strip);
    node.read_string("prepend", r.prepend);
    if ((node.has("strip") || node.has("prepend")) && r.target.kind != Target::Kind::kTrunk) {
      node.error("strip and prepend apply to trunk targets only");
    }
    node.read_bool("early_media", r.early_media);
    if (r.early_media && r.target.kind != Target::Kind::kIvr) {
      node.child("early_media").error("early_media applies to ivr targets only");
    }
    rules.push_back(std::move(r));
    rule_nodes.push_back(node);
  }
  // A rule after a catch-all from the same origins can never match: say so.
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const DialRule& r = rules[i];
    if (r.number.kind == NumberMatch::Kind::kAny && r.caller.kind == NumberMatch::Kind::kAny &&
        r.from.empty() && i + 1 < rules.size()) {
      rule_nodes[i].error(
          fmt::format("'{}' matches every call, so the {} rule(s) after it can never match", r.name,
                      rules.size() - i - 1));
      break;
    }
  }
  return DialPlan(std::move(rules), plan);
}

}  // namespace hotline::sw
