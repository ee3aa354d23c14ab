// RFC 4733 telephone-event payloads: a receiver that turns a packet stream into digits
// (each reported once, with duration, despite the three redundant end packets or a lost
// end), and a sender that produces the packet sequence for one digit. Socket-free;
// one instance per RTP stream, used by one thread (thread-compatible).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/error.hpp"
#include "media/dtmf.hpp"

namespace hotline::media {

struct TelephoneEvent {
  int event = 0;
  bool end = false;
  int volume = 0;              // -dBm0, 0..63
  std::uint16_t duration = 0;  // in RTP timestamp units
};

// Parses the 4-byte event payload (extra bytes of RFC 2198 redundancy are not handled here).
Result<TelephoneEvent> parse_telephone_event(std::span<const std::uint8_t> payload);
std::array<std::uint8_t, 4> serialize(const TelephoneEvent& e);

class Rfc4733Receiver {
 public:
  explicit Rfc4733Receiver(int clock_rate = 8000) : clock_rate_(clock_rate) {}

  // Feeds one telephone-event packet. Returns the digits completed by it: usually none
  // or one; two when a new event starts before the previous one's end arrived.
  // Malformed payloads are errors (the caller counts and drops them).
  Result<std::vector<DtmfDigit>> on_packet(std::span<const std::uint8_t> payload,
                                           std::uint32_t rtp_timestamp);
  // Reports an event whose end packets never came (call after an RTP silence, e.g. 200 ms).
  std::optional<DtmfDigit> flush();

 private:
  DtmfDigit finish(char digit, std::uint16_t duration) const;

  int clock_rate_;
  // The event in progress (started, not yet ended).
  std::optional<std::uint32_t> active_ts_;
  char active_digit_ = 0;
  std::uint16_t active_duration_ = 0;
  // Start timestamp of the last event reported, so late redundant end packets are ignored.
  std::optional<std::uint32_t> reported_ts_;
};

struct TelephoneEventPacket {
  std::array<std::uint8_t, 4> payload{};
  bool marker = false;  // set on the first packet of the event
  int send_at_ms = 0;   // offset from the event start at which to send it
};

// The packets for one digit held `duration_ms`: one per ptime with growing duration (all
// sharing the event's start timestamp), the last one with the end bit, sent three times.
Result<std::vector<TelephoneEventPacket>> telephone_event_packets(char digit, int duration_ms,
                                                                  int clock_rate = 8000,
                                                                  int ptime_ms = 20,
                                                                  int volume = 10);

}  // namespace hotline::media
