// A strict reader over a YAML document: every value is read through a path
// ("http.listen"), every error carries file, line and column, unknown keys are
// errors (with a "did you mean" hint), and errors are collected so that one run
// of `hotline check-config` reports all of them.
//
// Usage: a schema is plain code that walks the tree:
//   ConfigErrors errs;
//   auto root = ConfigNode::root(doc, "hotline.yaml", errs);
//   root.expect_keys({"http", "storage"});
//   auto http = root.child("http");
//   http.read_string("listen", cfg.listen);
//
// Readers leave the output untouched when the key is absent (so defaults stay) and
// record an error when the value is present but wrong.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace hotline {

struct ConfigError {
  std::string path;     // "queues.support.strategy"; empty for document-level errors
  std::string message;  // "unknown strategy 'roundrobbin' (did you mean 'round-robin'?)"
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based

  // "queues.support.strategy: unknown … at hotline.yaml:14:15"
  std::string to_string() const;
};

class ConfigErrors {
 public:
  void add(ConfigError e) { errors_.push_back(std::move(e)); }
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  const std::vector<ConfigError>& all() const { return errors_; }
  // One error per line.
  std::string to_string() const;

 private:
  std::vector<ConfigError> errors_;
};

// Loads YAML text; a syntax error is reported with its position.
std::optional<YAML::Node> parse_yaml(std::string_view text, const std::string& file,
                                     ConfigErrors& errors);

// The closest candidate within a small edit distance, for "did you mean" hints.
std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates);

// "30s", "250ms", "5m", "1h", "100us" -> duration. Bare numbers are rejected: a
// unit must be explicit.
Result<Duration> parse_duration(std::string_view text);
// "8KiB", "1MiB", "2GiB", "512B", "4096" -> bytes.
Result<std::uint64_t> parse_size(std::string_view text);

struct HostPort {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0", "localhost"
  std::uint16_t port = 0;
  std::string to_string() const;  // brackets IPv6: "[::1]:8080"
  friend bool operator==(const HostPort&, const HostPort&) = default;
};
// "127.0.0.1:8080", "[::1]:5060", "localhost:80".
Result<HostPort> parse_host_port(std::string_view text);

class ConfigNode {
 public:
  static ConfigNode root(const YAML::Node& node, std::string file, ConfigErrors& errors);

  const std::string& path() const { return path_; }
  bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
  bool has(std::string_view key) const;
  const YAML::Node& yaml() const { return node_; }

  // REQUIRES a mapping (records an error otherwise). Records an error for every key
  // not in `allowed`, suggesting the closest allowed key. Returns false if not a map.
  bool expect_keys(std::initializer_list<std::string_view> allowed) const;
  bool expect_map() const;

  ConfigNode child(std::string_view key) const;
  // Entries of a mapping (key, value), in document order.
  std::vector<std::pair<std::string, ConfigNode>> entries() const;
  // Items of a sequence.
  std::vector<ConfigNode> items() const;

  // Scalars of this node itself.
  std::optional<std::string> as_string() const;

  // Readers for a child key. Absent key: `out` untouched, returns false.
  bool read_string(std::string_view key, std::string& out) const;
  bool read_bool(std::string_view key, bool& out) const;
  bool read_int(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) const;
  bool read_double(std::string_view key, double& out, double min, double max) const;
  bool read_duration(std::string_view key, Duration& out, Duration min, Duration max) const;
  bool read_size(std::string_view key, std::uint64_t& out, std::uint64_t min,
                 std::uint64_t max) const;
  bool read_host_port(std::string_view key, HostPort& out) const;
  bool read_string_list(std::string_view key, std::vector<std::string>& out) const;

  template <typename E>
  bool read_enum(std::string_view key, E& out, std::string_view what,
                 std::initializer_list<std::pair<std::string_view, E>> choices) const {
    std::string text;
    if (!read_string(key, text)) return false;
    for (const auto& [name, value] : choices) {
      if (name == text) {
        out = value;
        return true;
      }
    }
    std::vector<std::string_view> names;
    for (const auto& c : choices) names.push_back(c.first);
    child(key).error(unknown_choice_message(what, text, names));
    return false;
  }

  // Records an error located at this node.
  void error(std::string message) const;

  static std::string unknown_choice_message(std::string_view what, std::string_view got,
                                            std::span<const std::string_view> choices);

 private:
  ConfigNode(YAML::Node node, std::string path, std::shared_ptr<const std::string> file,
             ConfigErrors* errors, YAML::Mark mark)
      : node_(std::move(node)),
        path_(std::move(path)),
        file_(std::move(file)),
        errors_(errors),
        mark_(mark) {}
  std::string join(std::string_view key) const;
  std::optional<std::string> scalar(std::string_view key) const;

  YAML::Node node_;
  std::string path_;
  std::shared_ptr<const std::string> file_;
  ConfigErrors* errors_;
  YAML::Mark mark_;  // where this node (or, if absent, its parent) is
};

}  // namespace hotline
