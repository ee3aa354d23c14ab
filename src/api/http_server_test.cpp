#include "api/http_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "api/test_client.hpp"

namespace hotline::api {
namespace {

using namespace hotline::api::testing;
using nlohmann::json;

json error_of(const HttpResponse& r) {
  return json::parse(r.body()).at("error");
}

TEST(HttpServer, HealthReportsStatusUptimeAndProviderFields) {
  ServerFixture f(test_options(),
                  [](HttpServer& s) { s.set_health([] { return json{{"storage", "sqlite"}}; }); });
  RawClient c(f.port());
  auto r = c.request(get("/health"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200);
  EXPECT_EQ((*r)[http::field::content_type], "application/json");
  json body = json::parse(r->body());
  EXPECT_EQ(body.at("status"), "ok");
  EXPECT_TRUE(body.at("uptime_s").is_number_integer());
  EXPECT_EQ(body.at("storage"), "sqlite");
}

TEST(HttpServer, MetricsArePrometheusTextWithRequestsByStatus) {
  ServerFixture f;
  RawClient c(f.port());
  ASSERT_TRUE(c.request(get("/health")));
  ASSERT_TRUE(c.request(get("/nope")));
  auto r = c.request(get("/metrics"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200);
  EXPECT_EQ((*r)[http::field::content_type], "text/plain; version=0.0.4");
  const std::string& m = r->body();
  EXPECT_NE(m.find("# TYPE hotline_http_requests_total counter"), std::string::npos) << m;
  EXPECT_NE(m.find("hotline_http_requests_total{status=\"200\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("hotline_http_requests_total{status=\"404\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("hotline_http_connections 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("hotline_uptime_seconds "), std::string::npos) << m;
  EXPECT_NE(m.find("hotline_websocket_clients 0\n"), std::string::npos) << m;
}

TEST(HttpServer, UnknownRouteIs404WithJsonError) {
  ServerFixture f;
  RawClient c(f.port());
  auto r = c.request(get("/api/v1/nothing"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 404);
  EXPECT_EQ((*r)[http::field::content_type], "application/json");
  EXPECT_EQ(error_of(*r).at("code"), "not_found");
  EXPECT_TRUE(error_of(*r).at("message").is_string());
}

TEST(HttpServer, WrongMethodIs405WithAllowHeader) {
  ServerFixture f;
  RawClient c(f.port());
  auto r = c.request("DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 405);
  EXPECT_EQ((*r)[http::field::allow], "GET, HEAD");
  EXPECT_EQ(error_of(*r).at("code"), "method_not_allowed");
}

TEST(HttpServer, RoutesReceiveMethodPathQueryHeadersAndBody) {
  ServerFixture f(test_options(), [](HttpServer& s) {
    s.router().add("POST", "/api/v1/echo/*", [](const Request& req) {
      Response r;
      r.body = json{{"method", req.method},
                    {"path", req.path},
                    {"query", req.query},
                    {"body", req.body},
                    {"x", req.header("x-thing")}}
                   .dump();
      r.headers.emplace_back("X-Reply", "yes");
      return r;
    });
  });
  RawClient c(f.port());
  auto r = c.request(
      "POST /api/v1/echo/a%20b?q=1 HTTP/1.1\r\nHost: x\r\nX-Thing: 42\r\n"
      "Content-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200);
  EXPECT_EQ((*r)["X-Reply"], "yes");
  json body = json::parse(r->body());
  EXPECT_EQ(body.at("method"), "POST");
  EXPECT_EQ(body.at("path"), "/api/v1/echo/a b");
  EXPECT_EQ(body.at("query"), "q=1");
  EXPECT_EQ(body.at("body"), "hello");
  EXPECT_EQ(body.at("x"), "42");
}

TEST(HttpServer, ThrowingHandlerGives500AndServerKeepsServing) {
  ServerFixture f(test_options(), [](HttpServer& s) {
    s.router().add("GET", "/boom",
                   [](const Request&) -> Response { throw std::runtime_error("kaboom"); });
  });
  RawClient c(f.port());
  auto r = c.request(get("/boom"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 500);
  EXPECT_EQ(error_of(*r).at("code"), "internal");
  EXPECT_EQ(r->body().find("kaboom"), std::string::npos) << "internals must not leak";
  auto again = c.request(get("/health"));  // same keep-alive connection
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 200);
}

TEST(HttpServer, KeepAliveServesSeveralRequestsAndPipelining) {
  ServerFixture f;
  RawClient c(f.port());
  ASSERT_FALSE(c.send(get("/health") + get("/nope") + get("/health")));
  auto a = c.read_response();
  auto b = c.read_response();
  auto d = c.read_response();
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(a->result_int(), 200);
  EXPECT_EQ(b->result_int(), 404);
  EXPECT_EQ(d->result_int(), 200);
  EXPECT_TRUE(a->keep_alive());
}

TEST(HttpServer, Http10ClosesUnlessKeepAliveAsked) {
  ServerFixture f;
  {
    RawClient c(f.port());
    auto r = c.request("GET /health HTTP/1.0\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->version(), 10u);
    EXPECT_EQ(r->result_int(), 200);
    EXPECT_TRUE(c.closed_by_peer());
  }
  RawClient c(f.port());
  auto r = c.request("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->keep_alive());
  auto again = c.request("GET /health HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 200);
}

TEST(HttpServer, ConnectionCloseIsHonoured) {
  ServerFixture f;
  RawClient c(f.port());
  auto r = c.request(get("/health", "Connection: close\r\n"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->keep_alive());
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(HttpServer, HeadHasLengthButNoBody) {
  ServerFixture f;
  RawClient c(f.port());
  auto r = c.request("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n", /*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200);
  EXPECT_GT(std::stoul(std::string((*r)[http::field::content_length])), 0u);
  EXPECT_TRUE(r->body().empty());
  // The next response parses cleanly only if no body bytes followed the head.
  auto next = c.request(get("/health"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->result_int(), 200);
}

TEST(HttpServer, MalformedRequestLineIs400AndCloses) {
  ServerFixture f;
  for (std::string bad : {"GARBAGE\r\n\r\n", "GET /x HTTP/9.9\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
                          "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
                          "GET /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
    RawClient c(f.port());
    auto r = c.request(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->result_int(), 400) << bad;
    EXPECT_EQ(error_of(*r).at("code"), "bad_request") << bad;
    EXPECT_TRUE(c.closed_by_peer()) << bad;
  }
}

TEST(HttpServer, BadTargetsAre400) {
  ServerFixture f;
  for (std::string target : {"/a%zz", "/a%00b", "/a%4", "nopath", "ftp://host/x"}) {
    RawClient c(f.port());
    auto r = c.request(get(target));
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->result_int(), 400) << target;
    EXPECT_EQ(error_of(*r).at("code"), "bad_target") << target;
  }
}

TEST(HttpServer, AbsoluteFormTargetIsRouted) {
  ServerFixture f;
  RawClient c(f.port());
  auto r = c.request(get("http://localhost:8080/health"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200);
}

TEST(HttpServer, BodyOverLimitIs413) {
  HttpOptions o = test_options();
  o.max_body_bytes = 1000;
  ServerFixture f(o, [](HttpServer& s) {
    s.router().add("POST", "/api/v1/sink", [](const Request&) { return Response{}; });
  });
  {  // declared too large: refused before the body is read
    RawClient c(f.port());
    auto r = c.request("POST /api/v1/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result_int(), 413);
    EXPECT_EQ(error_of(*r).at("code"), "body_too_large");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // chunked: refused once the chunks pass the limit
    RawClient c(f.port());
    std::string chunk(600, 'x');
    auto r = c.request(
        "POST /api/v1/sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "258\r\n" +
        chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result_int(), 413);
  }
  {  // at the limit: fine
    RawClient c(f.port());
    auto r = c.request("POST /api/v1/sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" +
                       std::string(1000, 'y'));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->result_int(), 200);
  }
}

TEST(HttpServer, ExpectContinueGetsInterimResponse) {
  ServerFixture f(test_options(), [](HttpServer& s) {
    s.router().add("POST", "/api/v1/echo", [](const Request& req) {
      Response r;
      r.content_type = "text/plain";
      r.body = req.body;
      return r;
    });
  });
  RawClient c(f.port());
  ASSERT_FALSE(
      c.send("POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: "
             "100-continue\r\n\r\n"));
  auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->result_int(), 100);
  auto r = c.request("ping");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200);
  EXPECT_EQ(r->body(), "ping");
}

TEST(HttpServer, HeadersOverLimitAre431) {
  HttpOptions o = test_options();
  o.max_header_bytes = 2048;
  ServerFixture f(o);
  RawClient c(f.port());
  auto r = c.request(get("/health", "X-Big: " + std::string(4096, 'a') + "\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 431);
  EXPECT_EQ(error_of(*r).at("code"), "header_too_large");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(HttpServer, HeadersFarOverLimitAre431WithoutBuffering) {
  HttpOptions o = test_options();
  o.max_header_bytes = 2048;
  ServerFixture f(o);
  RawClient c(f.port());
  // 64 KiB of header: the server must answer early, not collect it all.
  ASSERT_FALSE(c.send("GET /health HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a')));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 431);
}

TEST(HttpServer, SlowClientGets408AndIsClosed) {
  HttpOptions o = test_options();
  o.request_timeout = std::chrono::milliseconds(200);
  ServerFixture f(o);
  RawClient c(f.port());
  ASSERT_FALSE(c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "));  // never finished
  auto r = c.read_response();  // waits for the server's verdict
  ASSERT_TRUE(r) << c.last_error().message();
  EXPECT_EQ(r->result_int(), 408);
  EXPECT_EQ(error_of(*r).at("code"), "request_timeout");
  EXPECT_FALSE(r->keep_alive());
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(HttpServer, SilentConnectionGets408) {
  HttpOptions o = test_options();
  o.request_timeout = std::chrono::milliseconds(200);
  ServerFixture f(o);
  RawClient c(f.port());
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 408);
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedQuietly) {
  HttpOptions o = test_options();
  o.idle_timeout = std::chrono::milliseconds(200);
  ServerFixture f(o);
  RawClient c(f.port());
  auto r = c.request(get("/health"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 200);
  EXPECT_TRUE(c.closed_by_peer());  // no 408 for a keep-alive gap, just a close
}

TEST(HttpServer, ConnectionOverTheCapGets503) {
  HttpOptions o = test_options();
  o.max_connections = 2;
  ServerFixture f(o);
  RawClient a(f.port());
  RawClient b(f.port());
  // A served request proves the server has accepted (and counts) the connection.
  ASSERT_TRUE(a.request(get("/health")));
  ASSERT_TRUE(b.request(get("/health")));
  EXPECT_EQ(f.on_loop([&] { return f.server().connection_count(); }), 2u);

  RawClient over(f.port());
  auto r = over.request(get("/health"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 503);
  EXPECT_EQ(error_of(*r).at("code"), "over_capacity");
  EXPECT_TRUE(over.closed_by_peer());

  // Existing connections are unaffected.
  auto still = a.request(get("/health"));
  ASSERT_TRUE(still);
  EXPECT_EQ(still->result_int(), 200);
  auto metrics = a.request(get("/metrics"));
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body().find("hotline_http_rejected_connections_total 1\n"), std::string::npos);
}

TEST(HttpServer, PortAlreadyInUseIsAnErrorValue) {
  ServerFixture f;
  boost::asio::io_context ioc;
  MetricsRegistry metrics;
  HttpOptions o = test_options();
  o.listen.port = f.port();
  HttpServer second(ioc, o, metrics);
  auto st = second.start();
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(st.error().message,
            "address 127.0.0.1:" + std::to_string(f.port()) + " is already in use");
}

TEST(HttpServer, UnresolvableHostIsAnErrorValue) {
  boost::asio::io_context ioc;
  MetricsRegistry metrics;
  HttpOptions o = test_options();
  o.listen.host = "no-such-host.invalid";
  HttpServer s(ioc, o, metrics);
  auto st = s.start();
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message.find("no-such-host.invalid"), std::string::npos);
}

TEST(HttpServer, StartTwiceIsRefused) {
  boost::asio::io_context ioc;
  MetricsRegistry metrics;
  HttpServer s(ioc, test_options(), metrics);
  ASSERT_TRUE(s.start().has_value());
  EXPECT_NE(s.port(), 0);
  auto again = s.start();
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
}

TEST(HttpServer, StopClosesConnectionsAndListenerAndIsIdempotent) {
  ServerFixture f;
  RawClient idle(f.port());
  ASSERT_TRUE(idle.request(get("/health")));
  RawClient half(f.port());
  ASSERT_FALSE(half.send("GET /health HTTP/1.1\r\n"));
  RawClient probe(f.port());
  ASSERT_TRUE(probe.request(get("/health")));
  f.on_loop([&] {
    f.server().stop();
    f.server().stop();
  });
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_TRUE(probe.closed_by_peer());
  EXPECT_TRUE(half.closed_by_peer());
  RawClient late(f.port());
  EXPECT_TRUE(late.connect_error());
  EXPECT_TRUE(f.shut_down());  // nothing left on the loop
  EXPECT_EQ(f.server().connection_count(), 0u);
}

}  // namespace
}  // namespace hotline::api
