// SDP session descriptions (RFC 4566): a value model, a bounded parser that returns
// an error value for malformed input, and a serializer. Plain values; thread-compatible.
//
// Errors: parse_sdp() fails with ErrorCode::kInvalidArgument and a message naming the
// line and the reason ("sdp line 4: bad port 'x'"); the call layer answers 488 with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace hotline::media {

// Bounds that keep hostile input from exhausting memory or time.
inline constexpr std::size_t kMaxSdpBytes = 64 * 1024;
inline constexpr std::size_t kMaxSdpLineBytes = 4096;
inline constexpr std::size_t kMaxSdpMediaSections = 16;
inline constexpr std::size_t kMaxSdpFormatsPerMedia = 64;
inline constexpr std::size_t kMaxSdpAttributesPerSection = 256;

enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };
std::string_view to_string(Direction d);
// The direction the other side sees: sendonly <-> recvonly.
Direction reverse(Direction d);

// a=rtpmap:<pt> <encoding>/<clock>[/<channels>] plus its a=fmtp line, if any.
struct RtpMap {
  int payload_type = 0;
  std::string encoding;  // as written; compare case-insensitively
  int clock_rate = 0;
  int channels = 1;
  std::string fmtp;  // parameters after "a=fmtp:<pt> ", empty if none
  bool operator==(const RtpMap&) const = default;
};

// a=crypto:<tag> <suite> <key-params> [<session-params>...] (RFC 4568).
struct CryptoAttribute {
  int tag = 1;
  std::string suite;           // e.g. AES_CM_128_HMAC_SHA1_80
  std::string key_params;      // e.g. inline:<base64 key||salt>[|lifetime][|MKI:len]
  std::string session_params;  // remaining parameters, space-separated, may be empty
  bool operator==(const CryptoAttribute&) const = default;
};

// A generic a=<name>[:<value>] line kept as written so unknown attributes survive.
struct Attribute {
  std::string name;
  std::optional<std::string> value;
  bool operator==(const Attribute&) const = default;
};

struct Connection {
  std::string net_type = "IN";
  std::string addr_type = "IP4";
  std::string address;
  bool operator==(const Connection&) const = default;
};

struct MediaDescription {
  std::string media = "audio";
  std::uint16_t port = 0;  // 0 = stream rejected or disabled
  int port_count = 1;
  std::string proto = "RTP/AVP";
  std::vector<int> formats;                // payload types in preference order (RTP protos)
  std::vector<std::string> other_formats;  // format tokens of non-RTP protos, e.g. "t38"
  std::vector<RtpMap> rtpmaps;             // one per format that had a=rtpmap (and fmtp folded in)
  std::optional<Connection> connection;
  std::optional<Direction> direction;  // absent: inherit session level (default sendrecv)
  std::optional<int> ptime;
  std::optional<int> maxptime;
  bool rtcp_mux = false;
  std::optional<std::uint16_t> rtcp_port;  // a=rtcp:<port>
  std::vector<CryptoAttribute> crypto;
  std::vector<Attribute> other;  // attributes not modelled above, in order

  // The rtpmap for a payload type, or the static one (0 PCMU, 8 PCMA, 9 G722) if absent.
  std::optional<RtpMap> rtpmap_for(int payload_type) const;
  bool operator==(const MediaDescription&) const = default;
};

struct SessionDescription {
  std::string origin_user = "-";
  std::uint64_t session_id = 0;
  std::uint64_t session_version = 0;
  Connection origin;  // the address in o=
  std::string session_name = "-";
  std::optional<Connection> connection;
  std::optional<Direction> direction;  // session-level a=sendrecv etc.
  std::vector<Attribute> other;        // other session-level attributes
  std::vector<MediaDescription> media;

  // Effective direction of media section i (media level, else session level, else sendrecv).
  Direction direction_of(std::size_t i) const;
  // Effective connection address of media section i (media level, else session level).
  std::optional<Connection> connection_of(std::size_t i) const;
  bool operator==(const SessionDescription&) const = default;
};

Result<SessionDescription> parse_sdp(std::string_view text);
// CRLF line endings, fields in the order RFC 4566 requires.
std::string to_string(const SessionDescription& sdp);

}  // namespace hotline::media
