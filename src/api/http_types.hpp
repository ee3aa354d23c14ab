// Value types of the HTTP layer: server options, a parsed request, a response to
// send, and the JSON error body every 4xx/5xx carries. No I/O here.
//
// Thread-safety: plain values; no shared state.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/config_reader.hpp"

namespace hotline::api {

// Every limit is a bound on what one peer can make the server hold or wait for
// (DESIGN.md, principle 5). Config keys: http.listen, http.static_dir, ...
struct HttpOptions {
  HostPort listen{"127.0.0.1", 8080};
  std::string static_dir;  // web console files; empty = none
  std::size_t max_connections = 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  Duration request_timeout = std::chrono::seconds(30);  // whole request must arrive within this
  Duration idle_timeout = std::chrono::seconds(60);     // keep-alive idle
  // WebSocket: messages queued for one client before it counts as too slow and is
  // dropped, and the largest message a client may send us.
  std::size_t ws_max_queued_messages = 256;
  std::size_t ws_max_incoming_bytes = 64 * 1024;
};

struct Request {
  std::string method;  // "GET"
  std::string target;  // raw request-target: "/api/v1/x%20y?a=1"
  std::string path;    // percent-decoded path: "/api/v1/x y"
  std::string query;   // raw query without '?': "a=1"
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order
  std::string body;

  // The first header with this name (case-insensitive); empty when absent.
  std::string header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// {"error":{"code":"not_found","message":"no route for GET /x"}}
Response json_error(int status, std::string_view code, std::string_view message);

using Handler = std::function<Response(const Request&)>;

// Splits a request-target into its decoded path and raw query. Accepts origin-form
// ("/a/b?q") and absolute-form ("http://host/a/b?q"). Returns nullopt for anything
// else, a bad %-escape, or a decoded NUL: those are 400s.
struct TargetParts {
  std::string path;
  std::string query;
};
std::optional<TargetParts> split_target(std::string_view target);

// "%41b" -> "Ab"; nullopt on a truncated or non-hex escape or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace hotline::api
