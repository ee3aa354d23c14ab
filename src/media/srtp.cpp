#include "media/srtp.hpp"

#include <srtp2/srtp.h>
#include <sys/random.h>

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace hotline::media {

static_assert(kSrtpMaxTrailer >= SRTP_MAX_TRAILER_LEN + 4, "room for the SRTCP index and tag");

namespace {

constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const std::uint8_t* data, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; i += 3) {
    std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16;
    if (i + 1 < n) v |= static_cast<std::uint32_t>(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < n ? kB64[(v >> 6) & 63] : '=';
    out += i + 2 < n ? kB64[v & 63] : '=';
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view s) {
  std::vector<std::uint8_t> out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (char c : s) {
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad) return std::nullopt;  // data after padding
    const auto p = kB64.find(c);
    if (p == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
    }
  }
  if (pad > 2) return std::nullopt;
  return out;
}

Status ensure_srtp_init() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_ok;
  std::call_once(once, [] { status = srtp_init(); });
  if (status != srtp_err_status_ok) return fail(ErrorCode::kUnavailable, "libsrtp init failed");
  return {};
}

}  // namespace

Result<std::string> generate_sdes_key() {
  std::array<std::uint8_t, kSdesKeyBytes> key{};
  std::size_t got = 0;
  while (got < key.size()) {
    const ssize_t n = getrandom(key.data() + got, key.size() - got, 0);
    if (n < 0) return fail(ErrorCode::kUnavailable, "getrandom failed");
    got += static_cast<std::size_t>(n);
  }
  return base64_encode(key.data(), key.size());
}

struct SrtpContext::State {
  srtp_t session = nullptr;
  std::array<std::uint8_t, kSdesKeyBytes> key{};
  ~State() {
    if (session) srtp_dealloc(session);
  }
};

SrtpContext::SrtpContext(std::unique_ptr<State> s) : state_(std::move(s)) {}
SrtpContext::SrtpContext(SrtpContext&&) noexcept = default;
SrtpContext& SrtpContext::operator=(SrtpContext&&) noexcept = default;
SrtpContext::~SrtpContext() = default;

Result<SrtpContext> SrtpContext::create(const CryptoAttribute& crypto, SrtpDirection direction) {
  if (auto st = ensure_srtp_init(); !st) return std::unexpected(st.error());
  std::string_view params = crypto.key_params;
  if (!params.starts_with("inline:"))
    return fail(ErrorCode::kInvalidArgument, "srtp: key method must be inline");
  params.remove_prefix(7);
  const auto bar = params.find('|');
  const std::string_view key_b64 = params.substr(0, bar);
  if (bar != std::string_view::npos && params.substr(bar + 1).find(':') != std::string_view::npos)
    return fail(ErrorCode::kInvalidArgument, "srtp: MKI is not supported");
  auto key = base64_decode(key_b64);
  if (!key || key->size() != kSdesKeyBytes)
    return fail(ErrorCode::kInvalidArgument, "srtp: key must be 30 bytes of base64");

  auto s = std::make_unique<State>();
  std::copy(key->begin(), key->end(), s->key.begin());
  srtp_policy_t policy{};
  if (crypto.suite == "AES_CM_128_HMAC_SHA1_80") {
    srtp_crypto_policy_set_rtp_default(&policy.rtp);
  } else if (crypto.suite == "AES_CM_128_HMAC_SHA1_32") {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
  } else {
    return fail(ErrorCode::kInvalidArgument, "srtp: unsupported suite " + crypto.suite);
  }
  srtp_crypto_policy_set_rtcp_default(&policy.rtcp);  // SRTCP keeps the 80-bit tag (RFC 4568)
  policy.ssrc.type = direction == SrtpDirection::kOutbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy.key = s->key.data();
  policy.window_size = 128;
  policy.allow_repeat_tx = 0;
  policy.next = nullptr;
  if (srtp_create(&s->session, &policy) != srtp_err_status_ok)
    return fail(ErrorCode::kInternal, "srtp: session creation failed");
  return SrtpContext(std::move(s));
}

namespace {
using SrtpFn = srtp_err_status_t (*)(srtp_t, void*, int*);

Status apply(srtp_t session, std::vector<std::uint8_t>& packet, SrtpFn fn, bool grows,
             const char* what) {
  if (packet.size() < 12 || packet.size() > 65535)
    return fail(ErrorCode::kInvalidArgument, std::string("srtp: bad packet size for ") + what);
  int len = static_cast<int>(packet.size());
  if (grows) packet.resize(packet.size() + kSrtpMaxTrailer);
  const auto st = fn(session, packet.data(), &len);
  if (st != srtp_err_status_ok) {
    if (grows) packet.resize(packet.size() - kSrtpMaxTrailer);
    return fail(ErrorCode::kInvalidArgument, std::string("srtp: ") + what + " failed (status " +
                                                 std::to_string(static_cast<int>(st)) + ")");
  }
  packet.resize(static_cast<std::size_t>(len));
  return {};
}

srtp_err_status_t protect_rtcp_fn(srtp_t s, void* p, int* l) {
  return srtp_protect_rtcp(s, p, l);
}
srtp_err_status_t unprotect_rtcp_fn(srtp_t s, void* p, int* l) {
  return srtp_unprotect_rtcp(s, p, l);
}
srtp_err_status_t protect_fn(srtp_t s, void* p, int* l) {
  return srtp_protect(s, p, l);
}
srtp_err_status_t unprotect_fn(srtp_t s, void* p, int* l) {
  return srtp_unprotect(s, p, l);
}
}  // namespace

Status SrtpContext::protect_rtp(std::vector<std::uint8_t>& p) {
  return apply(state_->session, p, protect_fn, true, "protect");
}
Status SrtpContext::unprotect_rtp(std::vector<std::uint8_t>& p) {
  return apply(state_->session, p, unprotect_fn, false, "unprotect");
}
Status SrtpContext::protect_rtcp(std::vector<std::uint8_t>& p) {
  return apply(state_->session, p, protect_rtcp_fn, true, "protect rtcp");
}
Status SrtpContext::unprotect_rtcp(std::vector<std::uint8_t>& p) {
  return apply(state_->session, p, unprotect_rtcp_fn, false, "unprotect rtcp");
}

}  // namespace hotline::media
