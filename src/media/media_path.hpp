// Internal to the media engine: constants and small helpers shared by the media
// thread's control part (media_thread.cpp) and its packet/tick path (media_path.cpp).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "media/media_thread.hpp"
#include "media/rtp.hpp"
#include "media/srtp.hpp"

namespace hotline::media::media_detail {

inline constexpr int kRxBatch = 32;  // datagrams per recvmmsg
inline constexpr int kTxBatch = 64;  // datagrams queued before a sendmmsg flush
inline constexpr std::size_t kSlot = kMaxRtpPacketBytes + kSrtpMaxTrailer;
inline constexpr int kTickMs = 20;
inline constexpr std::int64_t kHousekeepingUs = 100'000;
inline constexpr std::int64_t kDtmfFlushUs = 200'000;  // event with no end packet: report it
inline constexpr int kMaxRxPcmFrames = 4;              // bound on received audio waiting for a tick

inline bool can_send(const Endpoint& ep) {
  return ep.negotiated &&
         (ep.media.direction == Direction::kSendRecv || ep.media.direction == Direction::kSendOnly);
}
inline bool can_receive(const Endpoint& ep) {
  return ep.negotiated &&
         (ep.media.direction == Direction::kSendRecv || ep.media.direction == Direction::kRecvOnly);
}
inline std::uint32_t frame_step(const Endpoint& ep) {
  return static_cast<std::uint32_t>(ep.media.codec.clock_rate * ep.media.ptime / 1000);
}
inline bool same_codec(const Endpoint& a, const Endpoint& b) {
  return a.media.codec.id == b.media.codec.id &&
         a.media.codec.clock_rate == b.media.codec.clock_rate;
}
inline std::uint64_t ntp_now() {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  std::uint64_t secs = static_cast<std::uint64_t>(us / 1'000'000) + 2'208'988'800ULL;
  std::uint64_t frac = (static_cast<std::uint64_t>(us % 1'000'000) << 32) / 1'000'000;
  return (secs << 32) | frac;
}
inline std::string to_string(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}
inline sockaddr_in make_addr(const std::string& ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) a.sin_port = 0;  // unusable: latch
  return a;
}
inline void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
inline void mix_into(std::span<std::int16_t> acc, std::span<const std::int16_t> add) {
  for (std::size_t i = 0; i < acc.size() && i < add.size(); ++i) {
    int s = acc[i] + add[i];
    acc[i] = static_cast<std::int16_t>(std::clamp(s, -32768, 32767));
  }
}

}  // namespace hotline::media::media_detail
