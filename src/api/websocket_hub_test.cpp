#include "api/websocket_hub.hpp"

#include <boost/asio/read.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <string>

#include "api/test_client.hpp"

namespace hotline::api {
namespace {

using namespace hotline::api::testing;

// A fixture whose hub reports its client count to the test thread.
struct HubFixture {
  Watch clients;
  ServerFixture f;
  explicit HubFixture(HttpOptions o = test_options())
      : f(std::move(o), [this](HttpServer& s) {
          s.websocket_hub().on_clients_changed([this](std::size_t n) { clients.set(n); });
        }) {}
  void publish(std::string text) {
    f.on_loop([&] { f.server().websocket_hub().publish(std::move(text)); });
  }
};

TEST(WebSocketHub, PublishReachesEveryClient) {
  HubFixture h;
  WsClient a(h.f.port());
  WsClient b(h.f.port());
  ASSERT_FALSE(a.error()) << a.error().message();
  ASSERT_FALSE(b.error()) << b.error().message();
  ASSERT_TRUE(h.clients.wait_for(2));

  h.publish(R"({"type":"agent.state","agent":"a1"})");
  h.publish("second");
  EXPECT_EQ(a.read_text(), R"({"type":"agent.state","agent":"a1"})");
  EXPECT_EQ(b.read_text(), R"({"type":"agent.state","agent":"a1"})");
  EXPECT_EQ(a.read_text(), "second");
  EXPECT_EQ(b.read_text(), "second");

  RawClient m(h.f.port());
  auto metrics = m.request(get("/metrics"));
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body().find("hotline_websocket_clients 2\n"), std::string::npos);
  EXPECT_NE(metrics->body().find("hotline_http_connections 3\n"), std::string::npos);
}

TEST(WebSocketHub, ClientLeavingIsCounted) {
  HubFixture h;
  {
    WsClient a(h.f.port());
    ASSERT_FALSE(a.error());
    ASSERT_TRUE(h.clients.wait_for(1));
  }  // the client's socket closes here
  EXPECT_TRUE(h.clients.wait_for(0));
}

TEST(WebSocketHub, SlowClientIsDroppedAndOthersKeepReceiving) {
  HttpOptions o = test_options();
  o.ws_max_queued_messages = 4;
  HubFixture h(o);
  WsClient fast(h.f.port());
  WsClient slow(h.f.port(), /*receive_buffer=*/4096);  // and it never reads
  ASSERT_FALSE(fast.error());
  ASSERT_FALSE(slow.error());
  ASSERT_TRUE(h.clients.wait_for(2));

  // Each round the fast client reads its copy, so only the slow one falls behind;
  // once the kernel buffers towards it are full its queue grows past the bound.
  const std::string payload(64 * 1024, 'x');
  bool dropped = false;
  for (int i = 0; i < 5000 && !dropped; ++i) {
    std::string msg = std::to_string(i) + payload;
    h.publish(msg);
    auto got = fast.read_text();
    ASSERT_TRUE(got) << "round " << i << ": " << fast.error().message();
    ASSERT_EQ(got->size(), msg.size());
    dropped = h.f.on_loop([&] { return h.f.server().websocket_hub().client_count() == 1; });
  }
  ASSERT_TRUE(dropped) << "the slow client was never dropped";

  h.publish("after");
  EXPECT_EQ(fast.read_text(), "after");

  // The slow client's stream ends (close frame 1008 or a closed socket), however
  // much it reads now.
  for (int i = 0; i < 10000 && slow.read_text(); ++i) {
  }
  EXPECT_TRUE(slow.error());
  if (slow.error() == websocket::error::closed) {
    EXPECT_EQ(slow.close_reason().code, websocket::close_code::policy_error);
  }

  RawClient m(h.f.port());
  auto metrics = m.request(get("/metrics"));
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body().find("hotline_websocket_dropped_total 1\n"), std::string::npos);
}

TEST(WebSocketHub, StopSendsGoingAway) {
  HubFixture h;
  WsClient a(h.f.port());
  ASSERT_FALSE(a.error());
  ASSERT_TRUE(h.clients.wait_for(1));
  h.f.on_loop([&] { h.f.server().stop(); });
  EXPECT_FALSE(a.read_text());
  EXPECT_EQ(a.error(), websocket::error::closed);
  EXPECT_EQ(a.close_reason().code, websocket::close_code::going_away);
  EXPECT_TRUE(h.clients.wait_for(0));
}

TEST(WebSocketHub, PlainGetOnWsIs426) {
  ServerFixture f;
  RawClient c(f.port());
  auto r = c.request(get("/ws"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 426);
  EXPECT_EQ(nlohmann::json::parse(r->body()).at("error").at("code"), "upgrade_required");
}

TEST(WebSocketHub, OversizedClientMessageIsRefusedWith1009) {
  HttpOptions o = test_options();
  o.ws_max_incoming_bytes = 1024;
  HubFixture h(o);
  // A raw client, so the frame can announce more than the limit.
  RawClient raw(h.f.port());
  ASSERT_FALSE(
      raw.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  auto handshake = raw.read_response();
  ASSERT_TRUE(handshake);
  EXPECT_EQ(handshake->result_int(), 101);
  ASSERT_TRUE(h.clients.wait_for(1));
  // A masked text frame header announcing 4096 bytes.
  const std::string frame = {'\x81', '\xFE', '\x10', '\x00', '\x01', '\x02', '\x03', '\x04'};
  ASSERT_FALSE(raw.send(frame));
  // The server answers with a close frame carrying 1009 (message too big).
  std::array<unsigned char, 4> head{};
  error_code ec;
  raw.stream().expires_after(kDeadline);
  boost::asio::async_read(raw.stream(), boost::asio::buffer(head),
                          [&](error_code e, std::size_t) { ec = e; });
  raw.run();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(head[0], 0x88);  // FIN + close
  EXPECT_EQ((head[2] << 8) | head[3], 1009);
}

}  // namespace
}  // namespace hotline::api
