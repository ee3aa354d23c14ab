// The IVR's HTTP client against a real TCP server on the same loop: a JSON reply, a
// non-2xx status, a reply that never comes (the deadline), one over the size cap, a
// refused connection, cancel(), and URLs it refuses. The loop runs until every
// expected answer came, bounded.
#include "app/http_lookup.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

namespace hotline::app {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

TEST(HttpUrl, SplitsHostPortAndTarget) {
  auto u = parse_http_url("http://127.0.0.1:8080/api/v1/demo/balance?caller=%2B33");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->target, "/api/v1/demo/balance?caller=%2B33");
  u = parse_http_url("HTTP://example.com?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, "80");
  EXPECT_EQ(u->target, "/?x=1");
  u = parse_http_url("http://[::1]:81");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "81");
  EXPECT_EQ(u->target, "/");
  for (const char* bad : {"https://a/", "ftp://a/", "http://", "http://:80/", "http://a:0/",
                          "http://a:70000/", "http://u:p@a/", "http://a/b c", "http://[::1/"}) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
}

// A tiny HTTP server: each connection gets the reply its request path names.
class Server {
 public:
  explicit Server(asio::io_context& io) : io_(io), acceptor_(io, tcp::endpoint(tcp::v4(), 0)) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::map<std::string, std::string> replies;  // path prefix -> raw reply ("" = never)
  std::vector<std::string> requests;

 private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::string buf;
    std::string reply;
  };
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      auto c = std::make_shared<Conn>(io_);
      c->socket = std::move(s);
      asio::async_read_until(c->socket, asio::dynamic_buffer(c->buf), "\r\n\r\n",
                             [this, c](boost::system::error_code ec2, std::size_t n) {
                               if (ec2) return;
                               std::string head = c->buf.substr(0, n);
                               requests.push_back(head);
                               const std::string path = head.substr(4, head.find(' ', 4) - 4);
                               for (const auto& [prefix, reply] : replies) {
                                 if (path.starts_with(prefix)) c->reply = reply;
                               }
                               held_.push_back(c);  // "never" keeps the socket open
                               if (c->reply.empty()) return;
                               asio::async_write(c->socket, asio::buffer(c->reply),
                                                 [c](boost::system::error_code, std::size_t) {
                                                   boost::system::error_code ignored;
                                                   c->socket.shutdown(tcp::socket::shutdown_both,
                                                                      ignored);
                                                 });
                             });
      accept();
    });
  }
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Conn>> held_;
};

std::string reply(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

struct Answers {
  std::map<cc::ivr::RequestId, cc::ivr::Event> got;
  HttpLookup::Done done_for(asio::io_context& io, std::size_t expected) {
    return [this, &io, expected](const cc::ivr::Event& e) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, cc::ivr::HttpResponse> ||
                          std::is_same_v<T, cc::ivr::HttpFailed>) {
              got.emplace(v.id, e);
            }
          },
          e);
      if (got.size() == expected) io.stop();
    };
  }
};

cc::ivr::HttpGet get(cc::ivr::RequestId id, const std::string& url, Duration timeout = 2s) {
  return cc::ivr::HttpGet{id, url, timeout};
}

TEST(HttpLookup, SuccessStatusTimeoutSizeCapRefusedAndBadUrls) {
  asio::io_context io;
  Server server(io);
  server.replies["/ok"] = reply(200, R"({"balance": "42.50"})");
  server.replies["/missing"] = reply(404, R"({"error": "no"})");
  server.replies["/big"] = reply(200, std::string(70 * 1024, 'x'));
  server.replies["/slow"] = "";
  // A port nobody listens on.
  std::uint16_t closed = 0;
  {
    tcp::acceptor a(io, tcp::endpoint(tcp::v4(), 0));
    closed = a.local_endpoint().port();
  }
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  HttpLookup lookup(io);
  Answers answers;
  auto done = answers.done_for(io, 7);
  lookup.get(get(1, base + "/ok?caller=%2B33612345678"), done);
  lookup.get(get(2, base + "/missing"), done);
  lookup.get(get(3, base + "/slow", 200ms), done);
  lookup.get(get(4, base + "/big"), done);
  lookup.get(get(5, "http://127.0.0.1:" + std::to_string(closed) + "/"), done);
  lookup.get(get(6, "https://127.0.0.1/"), done);
  lookup.get(get(7, "not a url"), done);
  EXPECT_EQ(answers.got.size(), 0u);  // never inside get()
  io.run_for(10s);
  ASSERT_EQ(answers.got.size(), 7u);

  auto response = [&](cc::ivr::RequestId id) {
    return std::get_if<cc::ivr::HttpResponse>(&answers.got.at(id));
  };
  auto failure = [&](cc::ivr::RequestId id) -> std::string {
    const auto* f = std::get_if<cc::ivr::HttpFailed>(&answers.got.at(id));
    return f ? f->reason : "(not a failure)";
  };
  ASSERT_TRUE(response(1));
  EXPECT_EQ(response(1)->status, 200);
  EXPECT_EQ(response(1)->body, R"({"balance": "42.50"})");
  ASSERT_TRUE(response(2));
  EXPECT_EQ(response(2)->status, 404);
  EXPECT_EQ(failure(3), "timeout");
  EXPECT_EQ(failure(4), "reply too large");
  EXPECT_TRUE(failure(5).starts_with("cannot connect")) << failure(5);
  EXPECT_EQ(failure(6), "https is not supported (use http://)");
  EXPECT_EQ(failure(7), "bad URL");
  EXPECT_EQ(lookup.in_flight(), 0u);

  // The request carried the query as given and a Host header.
  bool seen = false;
  for (const auto& r : server.requests) {
    if (r.starts_with("GET /ok?caller=%2B33612345678 HTTP/1.1\r\n")) {
      seen = true;
      EXPECT_NE(r.find("Host: 127.0.0.1:" + std::to_string(server.port())), std::string::npos);
    }
  }
  EXPECT_TRUE(seen);
}

TEST(HttpLookup, CancelledAndDestroyedLookupsNeverAnswer) {
  asio::io_context io;
  Server server(io);
  server.replies["/ok"] = reply(200, "{}");
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  Answers answers;
  {
    HttpLookup lookup(io);
    auto done = answers.done_for(io, 1);
    lookup.get(get(1, base + "/ok"), done);
    lookup.get(get(2, base + "/ok"), done);
    lookup.cancel(2);
    EXPECT_EQ(lookup.in_flight(), 1u);
    io.run_for(10s);
    ASSERT_EQ(answers.got.size(), 1u);
    EXPECT_TRUE(answers.got.contains(1));
    io.restart();
    lookup.get(get(3, base + "/ok"), done);  // destroyed before it answers
  }
  io.run_for(300ms);
  EXPECT_EQ(answers.got.size(), 1u);
}

}  // namespace
}  // namespace hotline::app
