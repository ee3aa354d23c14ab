#include "sip/peer.hpp"

#include <gtest/gtest.h>

namespace hotline::sip {
namespace {

Via via(std::string_view text) {
  auto v = parse_via(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v.value_or(Via{});
}

Peer udp_from(std::string addr, std::uint16_t port) {
  Peer p;
  p.transport = TransportType::kUdp;
  p.remote = {std::move(addr), port};
  p.local = {"127.0.0.1", 5060};
  return p;
}

TEST(Peer, ResponseGoesToViaPortWithoutRport) {
  const Peer to = response_destination(via("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1"),
                                       udp_from("192.0.2.7", 40000));
  // No received parameter in the Via: the source address (we would have added it).
  EXPECT_EQ(to.remote.address, "192.0.2.7");
  EXPECT_EQ(to.remote.port, 5070);
}

TEST(Peer, RportSendsBackToTheSourcePort) {
  const Peer to = response_destination(
      via("SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bK1;received=192.0.2.7"),
      udp_from("192.0.2.7", 40000));
  EXPECT_EQ(to.remote.address, "192.0.2.7");
  EXPECT_EQ(to.remote.port, 40000);
}

TEST(Peer, DefaultPortIs5060) {
  const Peer to = response_destination(via("SIP/2.0/UDP host.example;branch=z9hG4bK1"),
                                       udp_from("192.0.2.7", 40000));
  EXPECT_EQ(to.remote.port, 5060);
}

TEST(Peer, StreamsAnswerOnTheSameConnection) {
  Peer src = udp_from("192.0.2.7", 40000);
  src.transport = TransportType::kTcp;
  src.connection_id = 42;
  const Peer to = response_destination(via("SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bK1"), src);
  EXPECT_EQ(to, src);
}

TEST(Peer, StampViaAddsReceivedAndFillsRport) {
  EXPECT_EQ(stamp_via(via("SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bK1"),
                      udp_from("192.0.2.7", 40000)),
            "SIP/2.0/UDP 10.0.0.1:5070;rport=40000;branch=z9hG4bK1;received=192.0.2.7");
  // Sent-by matches the source and no rport: nothing to add.
  EXPECT_EQ(
      stamp_via(via("SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1"), udp_from("192.0.2.7", 5060)),
      "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1");
  // rport asked for with a matching host: received is still added (RFC 3581 §4).
  EXPECT_EQ(stamp_via(via("SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bK1"),
                      udp_from("192.0.2.7", 6000)),
            "SIP/2.0/UDP 192.0.2.7:5060;rport=6000;branch=z9hG4bK1;received=192.0.2.7");
}

TEST(Peer, IPv6EndpointsAreBracketed) {
  EXPECT_EQ((Endpoint{"::1", 5060}).to_string(), "[::1]:5060");
  EXPECT_EQ((Endpoint{"127.0.0.1", 5060}).to_string(), "127.0.0.1:5060");
  EXPECT_EQ(transport_from_via("tcp"), TransportType::kTcp);
  EXPECT_FALSE(transport_from_via("SCTP").has_value());
}

}  // namespace
}  // namespace hotline::sip
