#include "common/config_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace hotline {

std::string ConfigError::to_string() const {
  std::string out;
  if (!path.empty()) {
    out += path;
    out += ": ";
  }
  out += message;
  if (!file.empty()) {
    out += " at ";
    out += file;
    if (line > 0) out += fmt::format(":{}:{}", line, column);
  }
  return out;
}

std::string ConfigErrors::to_string() const {
  std::string out;
  for (const auto& e : errors_) {
    out += e.to_string();
    out += '\n';
  }
  return out;
}

std::optional<YAML::Node> parse_yaml(std::string_view text, const std::string& file,
                                     ConfigErrors& errors) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    errors.add(ConfigError{"", fmt::format("invalid YAML: {}", e.msg), file, e.mark.line + 1,
                           e.mark.column + 1});
    return std::nullopt;
  }
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string lower_alnum(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  const std::string norm = lower_alnum(word);
  for (std::string_view c : candidates) {
    // Punctuation and case differences ("roundrobin" vs "round-robin") count as equal.
    const std::size_t d = lower_alnum(c) == norm ? 0 : edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
  if (best && best_distance <= allowed) return best;
  return std::nullopt;
}

Result<Duration> parse_duration(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a duration (write e.g. 250ms, 30s, 5m, 2h)", text));
  };
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0 || i == text.size()) return bad();
  double number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc() || ptr != text.data() + i || number < 0) return bad();
  const std::string_view unit = text.substr(i);
  double micros_per_unit = 0;
  if (unit == "us")
    micros_per_unit = 1;
  else if (unit == "ms")
    micros_per_unit = 1e3;
  else if (unit == "s")
    micros_per_unit = 1e6;
  else if (unit == "m" || unit == "min")
    micros_per_unit = 60e6;
  else if (unit == "h")
    micros_per_unit = 3600e6;
  else if (unit == "d")
    micros_per_unit = 86400e6;
  else
    return bad();
  const double micros = number * micros_per_unit;
  if (micros > 1e15) return bad();
  return Duration(static_cast<std::int64_t>(std::llround(micros)));
}

Result<std::uint64_t> parse_size(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a size (write e.g. 512B, 8KiB, 1MiB, 2GiB)", text));
  };
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0) return bad();
  std::uint64_t number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc()) return bad();
  const std::string_view unit = text.substr(i);
  std::uint64_t mult = 0;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KiB" || unit == "K" || unit == "KB")
    mult = 1ULL << 10;
  else if (unit == "MiB" || unit == "M" || unit == "MB")
    mult = 1ULL << 20;
  else if (unit == "GiB" || unit == "G" || unit == "GB")
    mult = 1ULL << 30;
  else
    return bad();
  if (number > std::numeric_limits<std::uint64_t>::max() / mult) return bad();
  return number * mult;
}

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<HostPort> parse_host_port(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not an address: {} (write e.g. 127.0.0.1:8080 or [::1]:8080)",
                            text, why));
  };
  HostPort hp;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    hp.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad("missing ':port'");
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing ':port'");
    hp.host = std::string(text.substr(0, colon));
    if (hp.host.find(':') != std::string::npos) return bad("put an IPv6 address in brackets");
    port_text = text.substr(colon + 1);
  }
  if (hp.host.empty()) return bad("missing host");
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      port > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  hp.port = static_cast<std::uint16_t>(port);
  return hp;
}

ConfigNode ConfigNode::root(const YAML::Node& node, std::string file, ConfigErrors& errors) {
  YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark();
  return ConfigNode(node, "", std::make_shared<const std::string>(std::move(file)), &errors, mark);
}

std::string ConfigNode::join(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return fmt::format("{}.{}", path_, key);
}

void ConfigNode::error(std::string message) const {
  const YAML::Mark m = node_.IsDefined() ? node_.Mark() : mark_;
  const bool known = m.line >= 0;
  errors_->add(ConfigError{path_, std::move(message), *file_, known ? m.line + 1 : 0,
                           known ? m.column + 1 : 0});
}

bool ConfigNode::expect_map() const {
  if (!node_.IsDefined() || node_.IsNull()) return true;  // an empty section is fine
  if (!node_.IsMap()) {
    error("expected a mapping of keys to values");
    return false;
  }
  return true;
}

bool ConfigNode::expect_keys(std::initializer_list<std::string_view> allowed) const {
  if (!expect_map()) return false;
  if (!node_.IsDefined() || node_.IsNull()) return true;
  const std::vector<std::string_view> names(allowed);
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar()) {
      ConfigNode(it->first, path_, file_, errors_, mark_).error("keys must be plain strings");
      continue;
    }
    const std::string key = it->first.Scalar();
    if (std::find(names.begin(), names.end(), key) != names.end()) continue;
    std::string msg = fmt::format("unknown key '{}'", key);
    if (auto hint = closest_match(key, names)) msg += fmt::format(" (did you mean '{}'?)", *hint);
    ConfigNode(it->first, join(key), file_, errors_, mark_).error(std::move(msg));
  }
  return true;
}

bool ConfigNode::has(std::string_view key) const {
  if (!node_.IsDefined() || !node_.IsMap()) return false;
  const YAML::Node c = node_[std::string(key)];
  return c.IsDefined() && !c.IsNull();
}

ConfigNode ConfigNode::child(std::string_view key) const {
  // Copy-construct: YAML::Node's assignment copies content and throws on a
  // missing key's (invalid) node, while construction just refers to it.
  const YAML::Node c = node_.IsDefined() && node_.IsMap() ? node_[std::string(key)]
                                                          : YAML::Node(YAML::NodeType::Undefined);
  const YAML::Mark where = node_.IsDefined() ? node_.Mark() : mark_;
  return ConfigNode(c, join(key), file_, errors_, where);
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::entries() const {
  std::vector<std::pair<std::string, ConfigNode>> out;
  // An absent key's node is invalid in yaml-cpp: IsMap() on it would throw.
  if (!defined() || !expect_map()) return out;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    out.emplace_back(key, ConfigNode(it->second, join(key), file_, errors_, it->first.Mark()));
  }
  return out;
}

std::vector<ConfigNode> ConfigNode::items() const {
  std::vector<ConfigNode> out;
  if (!node_.IsDefined() || node_.IsNull()) return out;
  if (!node_.IsSequence()) {
    error("expected a list");
    return out;
  }
  for (std::size_t i = 0; i < node_.size(); ++i) {
    out.push_back(
        ConfigNode(node_[i], fmt::format("{}[{}]", path_, i), file_, errors_, node_.Mark()));
  }
  return out;
}

std::optional<std::string> ConfigNode::as_string() const {
  if (!node_.IsDefined() || node_.IsNull()) return std::nullopt;
  if (!node_.IsScalar()) {
    error("expected a single value, not a list or mapping");
    return std::nullopt;
  }
  return node_.Scalar();
}

std::optional<std::string> ConfigNode::scalar(std::string_view key) const {
  return child(key).as_string();
}

bool ConfigNode::read_string(std::string_view key, std::string& out) const {
  auto s = scalar(key);
  if (!s) return false;
  out = std::move(*s);
  return true;
}

bool ConfigNode::read_bool(std::string_view key, bool& out) const {
  auto s = scalar(key);
  if (!s) return false;
  if (*s == "true" || *s == "yes" || *s == "on") {
    out = true;
    return true;
  }
  if (*s == "false" || *s == "no" || *s == "off") {
    out = false;
    return true;
  }
  child(key).error(fmt::format("expected true or false, got '{}'", *s));
  return false;
}

bool ConfigNode::read_int(std::string_view key, std::int64_t& out, std::int64_t min,
                          std::int64_t max) const {
  auto s = scalar(key);
  if (!s) return false;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (s->empty() || ec != std::errc() || ptr != s->data() + s->size()) {
    child(key).error(fmt::format("expected a whole number, got '{}'", *s));
    return false;
  }
  if (v < min || v > max) {
    child(key).error(fmt::format("{} is out of range (allowed {} to {})", v, min, max));
    return false;
  }
  out = v;
  return true;
}

bool ConfigNode::read_double(std::string_view key, double& out, double min, double max) const {
  auto s = scalar(key);
  if (!s) return false;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (s->empty() || ec != std::errc() || ptr != s->data() + s->size() || !std::isfinite(v)) {
    child(key).error(fmt::format("expected a number, got '{}'", *s));
    return false;
  }
  if (v < min || v > max) {
    child(key).error(fmt::format("{} is out of range (allowed {} to {})", v, min, max));
    return false;
  }
  out = v;
  return true;
}

bool ConfigNode::read_duration(std::string_view key, Duration& out, Duration min,
                               Duration max) const {
  auto s = scalar(key);
  if (!s) return false;
  auto d = parse_duration(*s);
  if (!d) {
    child(key).error(d.error().message);
    return false;
  }
  if (*d < min || *d > max) {
    child(key).error(
        fmt::format("{} is out of range (allowed {}us to {}us)", *s, min.count(), max.count()));
    return false;
  }
  out = *d;
  return true;
}

bool ConfigNode::read_size(std::string_view key, std::uint64_t& out, std::uint64_t min,
                           std::uint64_t max) const {
  auto s = scalar(key);
  if (!s) return false;
  auto v = parse_size(*s);
  if (!v) {
    child(key).error(v.error().message);
    return false;
  }
  if (*v < min || *v > max) {
    child(key).error(fmt::format("{} is out of range (allowed {} to {} bytes)", *s, min, max));
    return false;
  }
  out = *v;
  return true;
}

bool ConfigNode::read_host_port(std::string_view key, HostPort& out) const {
  auto s = scalar(key);
  if (!s) return false;
  auto hp = parse_host_port(*s);
  if (!hp) {
    child(key).error(hp.error().message);
    return false;
  }
  out = std::move(*hp);
  return true;
}

bool ConfigNode::read_string_list(std::string_view key, std::vector<std::string>& out) const {
  const ConfigNode c = child(key);
  if (!c.defined()) return false;
  std::vector<std::string> values;
  for (const ConfigNode& item : c.items()) {
    if (auto s = item.as_string()) values.push_back(std::move(*s));
  }
  out = std::move(values);
  return true;
}

std::string ConfigNode::unknown_choice_message(std::string_view what, std::string_view got,
                                               std::span<const std::string_view> choices) {
  std::string msg = fmt::format("unknown {} '{}'", what, got);
  if (auto hint = closest_match(got, choices)) {
    msg += fmt::format(" (did you mean '{}'?)", *hint);
  } else {
    msg += " (one of:";
    for (auto c : choices) msg += fmt::format(" {}", c);
    msg += ")";
  }
  return msg;
}

}  // namespace hotline
