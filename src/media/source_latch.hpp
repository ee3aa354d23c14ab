// Symmetric RTP (RFC 4961 practice for NATed phones): decides which source address a
// stream's packets are accepted from and where we send. Pure logic over values; time is
// passed in. Thread-compatible (owned by the media thread of its endpoint).
//
// Rules:
//  1. Until the first packet arrives we send to the address the SDP gave.
//  2. The first packet latches: from then on we send to where packets really come from
//     (a phone behind NAT advertises a private address it cannot be reached on).
//  3. Packets from another address are dropped (counted) while the latched source is
//     alive, so a stray or hostile sender cannot hijack a call ("RTP bleed").
//  4. If the latched source has been silent for `relatch_after` the next sender is
//     accepted and latched (NAT rebinding, a phone that moved network).
//  5. A new SDP from the peer (re-INVITE) resets to rule 1.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <cstring>

namespace hotline::media {

inline bool same_endpoint(const sockaddr_in& a, const sockaddr_in& b) {
  return a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port;
}

class SourceLatch {
 public:
  enum class Verdict { kAccept, kAcceptRelatched, kReject };

  explicit SourceLatch(std::int64_t relatch_after_us = 1'000'000)
      : relatch_after_us_(relatch_after_us) {}

  // Rule 1 / 5: the address signalled in SDP; forgets any latch.
  void set_signalled(const sockaddr_in& addr) {
    target_ = addr;
    latched_ = false;
  }
  // Where to send now.
  const sockaddr_in& target() const { return target_; }
  bool latched() const { return latched_; }
  std::uint64_t rejected() const { return rejected_; }
  std::uint64_t relatches() const { return relatches_; }

  Verdict on_packet(const sockaddr_in& from, std::int64_t now_us) {
    if (latched_ && same_endpoint(from, target_)) {
      last_us_ = now_us;
      return Verdict::kAccept;
    }
    if (!latched_ || now_us - last_us_ >= relatch_after_us_) {
      bool moved = latched_;
      target_ = from;
      latched_ = true;
      last_us_ = now_us;
      if (moved) ++relatches_;
      return moved ? Verdict::kAcceptRelatched : Verdict::kAccept;
    }
    ++rejected_;
    return Verdict::kReject;
  }

 private:
  std::int64_t relatch_after_us_;
  sockaddr_in target_{};
  bool latched_ = false;
  std::int64_t last_us_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t relatches_ = 0;
};

}  // namespace hotline::media
