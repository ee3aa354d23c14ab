#include "sip/transport.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace hotline::sip {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

std::string options_request(std::string_view branch, std::string_view body = "") {
  return fmt::format(
      "OPTIONS sip:hotline@127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{}\r\n"
      "Max-Forwards: 70\r\nTo: <sip:hotline@127.0.0.1>\r\n"
      "From: <sip:t@127.0.0.1>;tag=1\r\nCall-ID: {}\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: {}\r\n\r\n{}",
      branch, branch, body.size(), body);
}

// Runs the transport on its own thread; the test thread plays the remote peer with
// blocking sockets, and waits for deliveries on a condition variable.
class TransportFixture : public ::testing::Test {
 protected:
  void start(TransportOptions opts = {}) {
    transport_.emplace(loop_, std::move(opts), metrics_);
    transport_->set_handler([this](Message&& m, const Peer& from) {
      std::lock_guard lock(mu_);
      got_.emplace_back(std::string(m.call_id()), from);
      cv_.notify_all();
    });
    ASSERT_TRUE(transport_->listen(TransportType::kUdp, "127.0.0.1", 0));
    ASSERT_TRUE(transport_->listen(TransportType::kTcp, "127.0.0.1", 0));
    for (const Peer& p : transport_->listeners()) {
      (p.transport == TransportType::kUdp ? udp_port_ : tcp_port_) = p.local.port;
    }
    work_.emplace(asio::make_work_guard(loop_));
    thread_ = std::thread([this] { loop_.run(); });
  }
  void TearDown() override {
    if (!thread_.joinable()) return;
    asio::post(loop_, [this] { transport_->stop(); });
    work_.reset();
    thread_.join();
  }
  // Blocks until `n` messages were delivered (or fails after a generous deadline).
  std::vector<std::pair<std::string, Peer>> wait_for(std::size_t n) {
    std::unique_lock lock(mu_);
    const bool ok = cv_.wait_for(lock, std::chrono::seconds(20), [&] { return got_.size() >= n; });
    EXPECT_TRUE(ok) << "only " << got_.size() << " of " << n << " messages arrived";
    return got_;
  }
  std::size_t connections() {
    std::promise<std::size_t> p;
    asio::post(loop_, [&] { p.set_value(transport_->connection_count()); });
    return p.get_future().get();
  }

  asio::io_context loop_;
  MetricsRegistry metrics_;
  std::optional<SipTransport> transport_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::uint16_t udp_port_ = 0, tcp_port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, Peer>> got_;
};

std::string udp_roundtrip(std::uint16_t port, const std::string& bytes) {
  asio::io_context io;
  udp::socket s(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  s.send_to(asio::buffer(bytes), udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::array<char, 70000> buf{};
  udp::endpoint from;
  const std::size_t n = s.receive_from(asio::buffer(buf), from);
  return std::string(buf.data(), n);
}

TEST_F(TransportFixture, UdpMessageReachesTheHandlerWithItsSource) {
  start();
  asio::io_context io;
  udp::socket s(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const std::string req = options_request("udp1");
  s.send_to(asio::buffer(req), udp::endpoint(asio::ip::make_address("127.0.0.1"), udp_port_));
  auto got = wait_for(1);
  EXPECT_EQ(got[0].first, "udp1");
  EXPECT_EQ(got[0].second.transport, TransportType::kUdp);
  EXPECT_EQ(got[0].second.remote.port, s.local_endpoint().port());
  EXPECT_EQ(got[0].second.local.port, udp_port_);
}

TEST_F(TransportFixture, MalformedUdpRequestIsAnswered400AndCounted) {
  start();
  std::string bad = options_request("bad1");
  bad.replace(bad.find("Max-Forwards: 70"), 16, "Max-Forwards: xx");
  const std::string reply = udp_roundtrip(udp_port_, bad);
  EXPECT_TRUE(reply.starts_with("SIP/2.0 400 ")) << reply;
  EXPECT_NE(reply.find("branch=z9hG4bKbad1"), std::string::npos);
  EXPECT_NE(metrics_.render().find("hotline_sip_parse_errors_total 1"), std::string::npos);
}

TEST_F(TransportFixture, OversizedDatagramGets513) {
  TransportOptions opts;
  opts.limits.max_message_size = 2000;
  start(opts);
  const std::string reply =
      udp_roundtrip(udp_port_, options_request("big", std::string(5000, 'x')));
  EXPECT_TRUE(reply.starts_with("SIP/2.0 513 ")) << reply;
}

TEST_F(TransportFixture, TcpFramesSplitAndCoalescedMessages) {
  start();
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tcp_port_));
  const std::string a = options_request("tcp-a", "hello");
  const std::string b = options_request("tcp-b");
  const std::string c = options_request("tcp-c");
  // a arrives in two pieces; b and c in one write.
  asio::write(s, asio::buffer(a.substr(0, 30)));
  asio::write(s, asio::buffer(a.substr(30) + b + c));
  auto got = wait_for(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, "tcp-a");
  EXPECT_EQ(got[1].first, "tcp-b");
  EXPECT_EQ(got[2].first, "tcp-c");
  EXPECT_EQ(got[0].second.transport, TransportType::kTcp);
  EXPECT_NE(got[0].second.connection_id, 0u);
  EXPECT_EQ(got[0].second.connection_id, got[2].second.connection_id);

  // A reply sent to the Peer goes back on the same connection.
  const Peer back = got[0].second;
  asio::post(loop_, [&] { transport_->send(back, "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"); });
  asio::streambuf sb;
  asio::read_until(s, sb, "\r\n\r\n");
  EXPECT_EQ(std::string(asio::buffers_begin(sb.data()), asio::buffers_begin(sb.data()) + 15),
            "SIP/2.0 200 OK\r");
}

TEST_F(TransportFixture, TcpKeepAlivePingGetsPong) {
  start();
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tcp_port_));
  asio::write(s, asio::buffer(std::string("\r\n\r\n")));
  std::array<char, 2> pong{};
  asio::read(s, asio::buffer(pong));
  EXPECT_EQ(std::string(pong.data(), 2), "\r\n");
}

TEST_F(TransportFixture, UnframeableStreamIsAnsweredAndClosed) {
  start();
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tcp_port_));
  std::string bad = options_request("nolen");
  bad.replace(bad.find("Content-Length: 0"), 17, "Content-Length: x");
  asio::write(s, asio::buffer(bad));
  std::string reply;
  boost::system::error_code ec;
  std::array<char, 4096> buf{};
  for (;;) {
    const std::size_t n = s.read_some(asio::buffer(buf), ec);
    reply.append(buf.data(), n);
    if (ec) break;  // the server closed the connection after answering
  }
  EXPECT_TRUE(reply.starts_with("SIP/2.0 400 ")) << reply;
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(TransportFixture, ConnectionsPerSourceAreCapped) {
  TransportOptions opts;
  opts.max_connections_per_source = 2;
  start(opts);
  asio::io_context io;
  std::vector<tcp::socket> socks;
  for (int i = 0; i < 3; ++i) {
    socks.emplace_back(io);
    socks.back().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tcp_port_));
  }
  // The third connection is closed by the server: reading it ends.
  boost::system::error_code ec;
  std::array<char, 16> buf{};
  socks[2].read_some(asio::buffer(buf), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  EXPECT_EQ(connections(), 2u);
  EXPECT_NE(metrics_.render().find("hotline_sip_connections_refused_total 1"), std::string::npos);
}

TEST_F(TransportFixture, IdleConnectionsAreClosed) {
  TransportOptions opts;
  opts.idle_timeout = std::chrono::milliseconds(100);
  start(opts);
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tcp_port_));
  boost::system::error_code ec;
  std::array<char, 16> buf{};
  s.read_some(asio::buffer(buf), ec);  // returns when the server closes
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(TransportFixture, PortInUseIsAClearError) {
  start();
  MetricsRegistry m;
  SipTransport other(loop_, {}, m);
  auto st = other.listen(TransportType::kUdp, "127.0.0.1", udp_port_);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("already in use"), std::string::npos) << st.error().message;
  EXPECT_FALSE(other.listen(TransportType::kUdp, "not-an-ip", 5060));
  TransportOptions tls;
  tls.tls_certificate = "/nonexistent.crt";
  tls.tls_private_key = "/nonexistent.key";
  SipTransport t3(loop_, tls, m);
  auto st3 = t3.listen(TransportType::kTls, "127.0.0.1", 0);
  ASSERT_FALSE(st3);
  EXPECT_NE(st3.error().message.find("TLS certificate"), std::string::npos);
}

TEST_F(TransportFixture, AFailedConnectIsReportedWithItsPeer) {
  start();
  std::promise<Peer> failed;
  asio::post(loop_,
             [&] { transport_->set_failure_handler([&](const Peer& p) { failed.set_value(p); }); });
  // A port nothing listens on: take one, then close it.
  std::uint16_t closed_port = 0;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = a.local_endpoint().port();
  }
  Peer to{TransportType::kTcp, Endpoint{"127.0.0.1", closed_port}, {}, 0};
  asio::post(loop_, [&] { transport_->send(to, options_request("refused")); });
  auto future = failed.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const Peer p = future.get();
  EXPECT_EQ(p.transport, TransportType::kTcp);
  EXPECT_EQ(p.remote.port, closed_port);
}

}  // namespace
}  // namespace hotline::sip
