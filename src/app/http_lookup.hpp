// The IVR's HTTP lookups (an `http` node: GET a URL with the caller's number, keep
// values from the JSON reply): an asynchronous HTTP/1.1 client on the control loop
// (Boost.Beast), one connection per lookup, with a deadline and a cap on the reply.
// The IVR session parses the JSON and picks its success or failure path; this
// client only fetches: an HttpResponse{id, status, body} for any complete reply,
// an HttpFailed{id, reason} for everything else (bad URL, https, resolve/connect
// errors, deadline, reply over the size cap).
//
// Also the demo's toy balance service (GET /api/v1/demo/balance?caller=...), so the
// demo menu's "3 = balance" works with nothing else running.
//
// Thread-safety: none; the control loop owns it. `done` callbacks run on that loop.
// Invariants: `done` runs at most once per lookup, never after cancel() or after the
// HttpLookup is destroyed (its sockets are closed then).
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/router.hpp"
#include "cc/ivr/io.hpp"
#include "common/clock.hpp"

namespace hotline::app {

struct HttpLookupOptions {
  std::size_t max_body_bytes = 64 * 1024;              // the IVR refuses more anyway
  Duration max_timeout = std::chrono::seconds(30);     // a node's timeout is capped at this
  Duration default_timeout = std::chrono::seconds(3);  // for a request with none
  std::size_t max_in_flight = 1000;                    // more lookups at once fail at once ("busy")
};

// http://host[:port]/path?query, split. nullopt when not an http:// URL we can use.
struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";  // path and query
};
std::optional<HttpUrl> parse_http_url(std::string_view url);

class HttpLookup {
 public:
  // The answer: an HttpResponse or an HttpFailed, with the request's id.
  using Done = std::function<void(const cc::ivr::Event&)>;

  HttpLookup(boost::asio::io_context& loop, HttpLookupOptions options = {});
  ~HttpLookup();  // closes every connection; no `done` runs afterwards
  HttpLookup(const HttpLookup&) = delete;
  HttpLookup& operator=(const HttpLookup&) = delete;

  // Starts GET request.url; `done` runs later on the loop (never inside this call).
  void get(const cc::ivr::HttpGet& request, Done done);
  // Abandons a lookup: its connection is closed and `done` will not run.
  void cancel(cc::ivr::RequestId id);
  std::size_t in_flight() const { return ops_.size(); }

  struct Op;  // one lookup in flight (http_lookup.cpp)

 private:
  void finish(cc::ivr::RequestId id, const cc::ivr::Event& event);

  boost::asio::io_context& loop_;
  HttpLookupOptions options_;
  std::unordered_map<cc::ivr::RequestId, std::shared_ptr<Op>> ops_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// GET /api/v1/demo/balance?caller=<number> -> {"caller": …, "balance": "42.50",
// "currency": "euros"}: the demo flow's balance service, served by hotline itself.
void add_demo_balance_route(api::Router& router);

}  // namespace hotline::app
