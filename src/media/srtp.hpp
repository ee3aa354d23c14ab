// SRTP/SRTCP protection with keys exchanged by SDES (RFC 4568), over libsrtp2. One
// SrtpContext per direction of one stream: outbound (we encrypt with our key) or
// inbound (we decrypt with the peer's key). Used by the media thread that owns the
// stream (thread-compatible). Key generation reads the kernel's CSPRNG.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "media/sdp.hpp"

namespace hotline::media {

// Bytes srtp may append to a packet (SRTCP index + auth tag + MKI); room it needs.
inline constexpr std::size_t kSrtpMaxTrailer = 148;
// AES_CM_128 master key (16) + salt (14).
inline constexpr std::size_t kSdesKeyBytes = 30;

// A fresh master key and salt, base64, for LocalMediaOptions::srtp_inline_key.
Result<std::string> generate_sdes_key();

enum class SrtpDirection { kOutbound, kInbound };

class SrtpContext {
 public:
  // From a negotiated crypto attribute: suite AES_CM_128_HMAC_SHA1_80 or _32, key params
  // "inline:<base64 key||salt>[|lifetime]". MKI is refused (no peer we target uses it).
  static Result<SrtpContext> create(const CryptoAttribute& crypto, SrtpDirection direction);
  SrtpContext(SrtpContext&&) noexcept;
  SrtpContext& operator=(SrtpContext&&) noexcept;
  ~SrtpContext();

  // In place; `packet` grows by the auth tag (protect) or shrinks (unprotect).
  // Unprotect failures (bad tag, replay, wrong key) are kInvalidArgument: drop and count.
  Status protect_rtp(std::vector<std::uint8_t>& packet);
  Status unprotect_rtp(std::vector<std::uint8_t>& packet);
  Status protect_rtcp(std::vector<std::uint8_t>& packet);
  Status unprotect_rtcp(std::vector<std::uint8_t>& packet);

 private:
  struct State;
  explicit SrtpContext(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

}  // namespace hotline::media
