// Offer/answer (RFC 3264) over one audio stream: build an offer, answer an offer, and
// read the answer to an offer we made. Pure functions over values; thread-safe.
//
// Error contract (the call layer answers every failure here with 488 Not Acceptable Here):
//   - ErrorCode::kInvalidArgument   the SDP is malformed or lacks a usable audio stream
//                                   (message says what and where);
//   - ErrorCode::kFailedPrecondition the SDP is well formed but incompatible: no common
//                                   codec, SRTP required but not possible, stream rejected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "media/sdp.hpp"

namespace hotline::media {

enum class CodecId { kPcmu, kPcma, kG722, kOpus };
std::string_view to_string(CodecId id);
// Maps an rtpmap encoding name (case-insensitive) and clock rate to a codec we support.
std::optional<CodecId> codec_from_rtpmap(const RtpMap& map);

// A codec as agreed on the wire.
struct CodecSpec {
  CodecId id = CodecId::kPcmu;
  int payload_type = 0;
  int clock_rate = 8000;  // RTP clock (8000 for G.722 by RFC 3551's historical quirk)
  int channels = 1;       // as signalled (Opus always says 2)
  std::string fmtp;
  bool operator==(const CodecSpec&) const = default;
};

// What this side can do and where it listens.
struct LocalMediaOptions {
  std::string address;  // our RTP address for c=
  std::uint16_t port = 0;
  std::vector<CodecId> codecs = {CodecId::kPcmu, CodecId::kPcma};  // in our preference order
  bool telephone_event = true;
  int ptime = 20;
  Direction direction = Direction::kSendRecv;  // kSendOnly to put the peer on hold
  bool rtcp_mux = true;                        // offer it / accept it
  // SDES: our master key and salt, base64 (30 bytes for the AES_CM_128 suites). When set,
  // an offer uses RTP/SAVP; an answer accepts SAVP offers. Unset: SAVP offers are refused.
  std::optional<std::string> srtp_inline_key;
  std::uint64_t session_id = 1;
  std::uint64_t session_version = 1;
};

// The result of a completed offer/answer for the audio stream.
struct NegotiatedMedia {
  std::size_t media_index = 0;  // which m= line carries the audio
  CodecSpec codec;
  std::optional<int> telephone_event_pt;  // RFC 4733 payload type both sides use
  int telephone_event_clock = 8000;       // its RTP clock (events carry durations in it)
  int ptime = 20;
  Direction direction = Direction::kSendRecv;  // from our point of view
  std::string remote_address;
  std::uint16_t remote_rtp_port = 0;
  std::uint16_t remote_rtcp_port = 0;  // == remote_rtp_port when rtcp_mux
  bool rtcp_mux = false;
  std::optional<CryptoAttribute> remote_crypto;  // key the peer encrypts with
  std::optional<CryptoAttribute> local_crypto;   // key we encrypt with
};

Result<SessionDescription> build_offer(const LocalMediaOptions& local);

struct Answer {
  SessionDescription sdp;
  NegotiatedMedia media;
};
// Picks the first codec in *our* preference order that the offer also lists (the contact
// centre decides codecs, e.g. to avoid transcoding), keeping the offerer's payload types.
Result<Answer> answer_offer(const SessionDescription& offer, const LocalMediaOptions& local);

// Reads the peer's answer to `offer` (which we built with build_offer).
Result<NegotiatedMedia> apply_answer(const SessionDescription& offer,
                                     const SessionDescription& answer);

}  // namespace hotline::media
