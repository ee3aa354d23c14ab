#include "app/http_lookup.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
// GCC 12 warns (-Wmaybe-uninitialized) inside Beast's response parser under the
// sanitizers: a false positive in Boost (see src/api/CMakeLists.txt).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>

#include "common/log.hpp"

namespace hotline::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::string_view kLog = "ivr-http";
}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(url[i])) != kScheme[i]) return std::nullopt;
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) {
    out.target = std::string(rest.substr(slash));
    if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  }
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || p != port.data() + port.size() || value == 0 || value > 65535)
      return std::nullopt;
    out.port = std::string(port);
  }
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  return out;
}

struct HttpLookup::Op {
  Op(asio::io_context& loop, std::size_t max_body) : resolver(loop), socket(loop), deadline(loop) {
    parser.body_limit(max_body);
    parser.header_limit(16 * 1024);
  }
  void close() {
    cancelled = true;
    resolver.cancel();
    boost::system::error_code ignored;
    socket.close(ignored);
    deadline.cancel();
  }

  cc::ivr::RequestId id = 0;
  bool cancelled = false;  // finished, cancelled, or the HttpLookup is gone
  tcp::resolver resolver;
  tcp::socket socket;
  asio::steady_timer deadline;
  beast::flat_buffer buffer;
  http::request<http::empty_body> request;
  http::response_parser<http::string_body> parser;
  Done done;
};

HttpLookup::HttpLookup(asio::io_context& loop, HttpLookupOptions options)
    : loop_(loop), options_(options) {}

HttpLookup::~HttpLookup() {
  *alive_ = false;
  for (auto& [id, op] : ops_) op->close();
}

void HttpLookup::get(const cc::ivr::HttpGet& request, Done done) {
  const cc::ivr::RequestId id = request.id;
  auto fail_soon = [this, id, done](std::string reason) {
    asio::post(loop_, [done, id, reason = std::move(reason), alive = std::weak_ptr(alive_)] {
      if (!alive.expired()) done(cc::ivr::HttpFailed{id, reason});
    });
  };
  if (ops_.contains(id)) return fail_soon("duplicate request id");
  if (ops_.size() >= options_.max_in_flight) return fail_soon("too many lookups in flight");
  auto url = parse_http_url(request.url);
  if (!url) {
    const bool https = request.url.starts_with("https://");
    return fail_soon(https ? "https is not supported (use http://)" : "bad URL");
  }
  Duration timeout =
      request.timeout > Duration::zero() ? request.timeout : options_.default_timeout;
  timeout = std::min(timeout, options_.max_timeout);

  auto op = std::make_shared<Op>(loop_, options_.max_body_bytes);
  op->id = id;
  op->done = std::move(done);
  op->request.method(http::verb::get);
  op->request.target(url->target);
  op->request.version(11);
  op->request.set(http::field::host,
                  url->port == "80" ? url->host : fmt::format("{}:{}", url->host, url->port));
  op->request.set(http::field::user_agent, "hotline-ivr");
  op->request.set(http::field::accept, "application/json");
  op->request.set(http::field::connection, "close");
  ops_[id] = op;

  // Every completion checks `cancelled` first: after cancel() or destruction the
  // handlers only release the Op.
  auto fail = [this, op](std::string reason) {
    if (op->cancelled) return;
    finish(op->id, cc::ivr::HttpFailed{op->id, std::move(reason)});
  };
  op->deadline.expires_after(timeout);
  op->deadline.async_wait([op, fail](const boost::system::error_code& ec) {
    if (ec || op->cancelled) return;
    fail("timeout");
  });
  op->resolver.async_resolve(
      url->host, url->port,
      [this, op, fail](const boost::system::error_code& ec, tcp::resolver::results_type results) {
        if (op->cancelled) return;
        if (ec) return fail("cannot resolve: " + ec.message());
        asio::async_connect(
            op->socket, results,
            [this, op, fail](const boost::system::error_code& ec2, const tcp::endpoint&) {
              if (op->cancelled) return;
              if (ec2) return fail("cannot connect: " + ec2.message());
              http::async_write(
                  op->socket, op->request,
                  [this, op, fail](const boost::system::error_code& ec3, std::size_t) {
                    if (op->cancelled) return;
                    if (ec3) return fail("cannot send: " + ec3.message());
                    http::async_read(
                        op->socket, op->buffer, op->parser,
                        [this, op, fail](const boost::system::error_code& ec4, std::size_t) {
                          if (op->cancelled) return;
                          if (ec4 == http::error::body_limit) return fail("reply too large");
                          if (ec4) return fail("cannot read the reply: " + ec4.message());
                          auto& res = op->parser.get();
                          finish(op->id,
                                 cc::ivr::HttpResponse{op->id, static_cast<int>(res.result_int()),
                                                       std::move(res.body())});
                        });
                  });
            });
      });
}

void HttpLookup::cancel(cc::ivr::RequestId id) {
  auto it = ops_.find(id);
  if (it == ops_.end()) return;
  it->second->close();
  ops_.erase(it);
}

void HttpLookup::finish(cc::ivr::RequestId id, const cc::ivr::Event& event) {
  auto it = ops_.find(id);
  if (it == ops_.end()) return;
  std::shared_ptr<Op> op = std::move(it->second);
  ops_.erase(it);
  op->close();
  Done done = std::move(op->done);
  if (done) done(event);
}

void add_demo_balance_route(api::Router& router) {
  router.add("GET", "/api/v1/demo/balance", [](const api::Request& req) {
    std::string caller;
    std::string_view q = req.query;
    while (!q.empty()) {
      const std::size_t amp = q.find('&');
      std::string_view pair = q.substr(0, amp);
      if (pair.starts_with("caller=")) {
        caller = api::percent_decode(pair.substr(7)).value_or("");
      }
      if (amp == std::string_view::npos) break;
      q.remove_prefix(amp + 1);
    }
    api::Response r;
    r.body = nlohmann::json{{"caller", caller}, {"balance", "42.50"}, {"currency", "euros"}}.dump();
    return r;
  });
  log::debug(kLog, "demo balance service at /api/v1/demo/balance");
}

}  // namespace hotline::app
