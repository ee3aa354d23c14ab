#include "media/rfc4733.hpp"

#include <string>

namespace hotline::media {

std::optional<char> dtmf_char_from_event(int event) {
  static constexpr char kChars[] = "0123456789*#ABCD";
  if (event < 0 || event > 15) return std::nullopt;
  return kChars[event];
}

std::optional<int> dtmf_event_from_char(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  switch (digit) {
    case '*': return 10;
    case '#': return 11;
    case 'A':
    case 'a': return 12;
    case 'B':
    case 'b': return 13;
    case 'C':
    case 'c': return 14;
    case 'D':
    case 'd': return 15;
    default: return std::nullopt;
  }
}

Result<TelephoneEvent> parse_telephone_event(std::span<const std::uint8_t> payload) {
  if (payload.size() < 4)
    return fail(ErrorCode::kInvalidArgument,
                "telephone-event payload has " + std::to_string(payload.size()) + " bytes, need 4");
  TelephoneEvent e;
  e.event = payload[0];
  e.end = (payload[1] & 0x80) != 0;
  e.volume = payload[1] & 0x3f;
  e.duration = static_cast<std::uint16_t>((payload[2] << 8) | payload[3]);
  return e;
}

std::array<std::uint8_t, 4> serialize(const TelephoneEvent& e) {
  return {static_cast<std::uint8_t>(e.event),
          static_cast<std::uint8_t>((e.end ? 0x80 : 0x00) | (e.volume & 0x3f)),
          static_cast<std::uint8_t>(e.duration >> 8), static_cast<std::uint8_t>(e.duration & 0xff)};
}

DtmfDigit Rfc4733Receiver::finish(char digit, std::uint16_t duration) const {
  return DtmfDigit{digit, static_cast<int>(static_cast<long>(duration) * 1000 / clock_rate_),
                   DtmfSource::kRfc4733};
}

Result<std::vector<DtmfDigit>> Rfc4733Receiver::on_packet(std::span<const std::uint8_t> payload,
                                                          std::uint32_t rtp_timestamp) {
  auto e = parse_telephone_event(payload);
  if (!e) return std::unexpected(e.error());
  std::vector<DtmfDigit> out;
  if (reported_ts_ == rtp_timestamp) return out;  // redundant end packet, or a late straggler
  auto ch = dtmf_char_from_event(e->event);
  if (!ch) return out;  // flash-hook and line events are not digits

  if (active_ts_ && *active_ts_ != rtp_timestamp) {
    // A new event began while the old one never saw its end: its end packets were lost.
    out.push_back(finish(active_digit_, active_duration_));
    reported_ts_ = *active_ts_;
    active_ts_.reset();
  }
  if (e->end) {
    out.push_back(finish(*ch, e->duration));
    reported_ts_ = rtp_timestamp;
    active_ts_.reset();
    return out;
  }
  if (active_ts_ != rtp_timestamp) {
    active_ts_ = rtp_timestamp;
    active_digit_ = *ch;
    active_duration_ = e->duration;
  } else if (e->duration > active_duration_) {
    active_duration_ = e->duration;  // packets may be reordered; keep the longest seen
  }
  return out;
}

std::optional<DtmfDigit> Rfc4733Receiver::flush() {
  if (!active_ts_) return std::nullopt;
  auto d = finish(active_digit_, active_duration_);
  reported_ts_ = *active_ts_;
  active_ts_.reset();
  active_duration_ = 0;
  return d;
}

Result<std::vector<TelephoneEventPacket>> telephone_event_packets(char digit, int duration_ms,
                                                                  int clock_rate, int ptime_ms,
                                                                  int volume) {
  auto event = dtmf_event_from_char(digit);
  if (!event)
    return fail(ErrorCode::kInvalidArgument, std::string("not a DTMF digit: '") + digit + "'");
  if (ptime_ms <= 0 || ptime_ms > 200) return fail(ErrorCode::kInvalidArgument, "bad ptime");
  if (clock_rate <= 0 || clock_rate > 48000)
    return fail(ErrorCode::kInvalidArgument, "bad clock rate");
  // The 16-bit duration field caps one event at 65535 units (8.2 s at 8 kHz); longer
  // presses are not something a caller does on purpose.
  const long max_ms = 65535L * 1000 / clock_rate;
  if (duration_ms < ptime_ms || duration_ms > max_ms)
    return fail(ErrorCode::kInvalidArgument,
                "duration out of range: " + std::to_string(duration_ms));
  if (volume < 0 || volume > 63) return fail(ErrorCode::kInvalidArgument, "bad volume");

  std::vector<TelephoneEventPacket> out;
  const int steps = (duration_ms + ptime_ms - 1) / ptime_ms;
  for (int i = 1; i <= steps; ++i) {
    const int ms = std::min(i * ptime_ms, duration_ms);
    TelephoneEvent e{*event, i == steps, volume,
                     static_cast<std::uint16_t>(static_cast<long>(ms) * clock_rate / 1000)};
    const int copies = i == steps ? 3 : 1;
    for (int c = 0; c < copies; ++c)
      out.push_back(
          TelephoneEventPacket{serialize(e), i == 1 && c == 0, (i - 1) * ptime_ms + c * ptime_ms});
  }
  return out;
}

}  // namespace hotline::media
