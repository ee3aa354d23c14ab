#include "media/sdp_negotiation.hpp"

#include "media/text_util.hpp"

namespace hotline::media {
namespace {

constexpr int kOpusPayloadType = 111;
constexpr int kTelephoneEvent8k = 101;
constexpr int kTelephoneEvent48k = 110;
constexpr std::string_view kDefaultSrtpSuite = "AES_CM_128_HMAC_SHA1_80";

std::unexpected<Error> incompatible(std::string why) {
  return fail(ErrorCode::kFailedPrecondition, "sdp not acceptable: " + why);
}

bool is_telephone_event(const RtpMap& r) {
  return iequals(r.encoding, "telephone-event");
}

bool srtp_suite_supported(std::string_view suite) {
  return suite == "AES_CM_128_HMAC_SHA1_80" || suite == "AES_CM_128_HMAC_SHA1_32";
}

bool is_savp(std::string_view proto) {
  return proto == "RTP/SAVP" || proto == "RTP/SAVPF";
}

RtpMap rtpmap_of(CodecId id, int pt) {
  switch (id) {
    case CodecId::kPcmu: return {pt, "PCMU", 8000, 1, ""};
    case CodecId::kPcma: return {pt, "PCMA", 8000, 1, ""};
    case CodecId::kG722: return {pt, "G722", 8000, 1, ""};
    case CodecId::kOpus: return {pt, "opus", 48000, 2, "useinbandfec=1"};
  }
  return {pt, "PCMU", 8000, 1, ""};
}

int static_pt(CodecId id) {
  switch (id) {
    case CodecId::kPcmu: return 0;
    case CodecId::kPcma: return 8;
    case CodecId::kG722: return 9;
    case CodecId::kOpus: return kOpusPayloadType;
  }
  return 0;
}

// The telephone-event payload type in `m` whose clock matches the codec's clock, else
// any 8 kHz one (RFC 4733 §2.1 wants the rates to match; many phones only offer 8000).
std::optional<RtpMap> pick_telephone_event(const MediaDescription& m, int clock_rate) {
  std::optional<RtpMap> fallback;
  for (int f : m.formats) {
    auto r = m.rtpmap_for(f);
    if (!r || !is_telephone_event(*r)) continue;
    if (r->clock_rate == clock_rate) return r;
    if (!fallback && r->clock_rate == 8000) fallback = r;
  }
  return fallback;
}

// Index of the first audio section with a non-zero port, or an error.
Result<std::size_t> find_audio(const SessionDescription& sdp) {
  for (std::size_t i = 0; i < sdp.media.size(); ++i) {
    if (sdp.media[i].media == "audio" && sdp.media[i].port != 0) return i;
  }
  return fail(ErrorCode::kInvalidArgument, "sdp has no active audio stream");
}

Direction intersect(Direction a, Direction b) {
  const bool send = (a == Direction::kSendRecv || a == Direction::kSendOnly) &&
                    (b == Direction::kSendRecv || b == Direction::kSendOnly);
  const bool recv = (a == Direction::kSendRecv || a == Direction::kRecvOnly) &&
                    (b == Direction::kSendRecv || b == Direction::kRecvOnly);
  if (send && recv) return Direction::kSendRecv;
  if (send) return Direction::kSendOnly;
  if (recv) return Direction::kRecvOnly;
  return Direction::kInactive;
}

CodecSpec spec_from(CodecId id, const RtpMap& r) {
  return CodecSpec{id, r.payload_type, r.clock_rate, r.channels, r.fmtp};
}

SessionDescription skeleton(const LocalMediaOptions& local) {
  SessionDescription sdp;
  sdp.origin_user = "hotline";
  sdp.session_id = local.session_id;
  sdp.session_version = local.session_version;
  const std::string addr_type = local.address.find(':') != std::string::npos ? "IP6" : "IP4";
  sdp.origin = Connection{"IN", addr_type, local.address};
  sdp.session_name = "hotline";
  sdp.connection = Connection{"IN", addr_type, local.address};
  return sdp;
}

}  // namespace

std::string_view to_string(CodecId id) {
  switch (id) {
    case CodecId::kPcmu: return "PCMU";
    case CodecId::kPcma: return "PCMA";
    case CodecId::kG722: return "G722";
    case CodecId::kOpus: return "opus";
  }
  return "?";
}

std::optional<CodecId> codec_from_rtpmap(const RtpMap& r) {
  if (iequals(r.encoding, "PCMU") && r.clock_rate == 8000) return CodecId::kPcmu;
  if (iequals(r.encoding, "PCMA") && r.clock_rate == 8000) return CodecId::kPcma;
  if (iequals(r.encoding, "G722") && r.clock_rate == 8000) return CodecId::kG722;
  if (iequals(r.encoding, "opus") && r.clock_rate == 48000) return CodecId::kOpus;
  return std::nullopt;
}

Result<SessionDescription> build_offer(const LocalMediaOptions& local) {
  if (local.address.empty())
    return fail(ErrorCode::kInvalidArgument, "offer needs a local address");
  if (local.codecs.empty()) return fail(ErrorCode::kInvalidArgument, "offer needs a codec");
  SessionDescription sdp = skeleton(local);
  MediaDescription m;
  m.port = local.port;
  m.proto = local.srtp_inline_key ? "RTP/SAVP" : "RTP/AVP";
  bool opus = false;
  for (CodecId id : local.codecs) {
    const int pt = static_pt(id);
    m.formats.push_back(pt);
    m.rtpmaps.push_back(rtpmap_of(id, pt));
    opus = opus || id == CodecId::kOpus;
  }
  if (local.telephone_event) {
    if (opus) {
      m.formats.push_back(kTelephoneEvent48k);
      m.rtpmaps.push_back({kTelephoneEvent48k, "telephone-event", 48000, 1, "0-16"});
    }
    m.formats.push_back(kTelephoneEvent8k);
    m.rtpmaps.push_back({kTelephoneEvent8k, "telephone-event", 8000, 1, "0-16"});
  }
  m.ptime = local.ptime;
  m.rtcp_mux = local.rtcp_mux;
  if (local.srtp_inline_key) {
    m.crypto.push_back({1, std::string(kDefaultSrtpSuite), "inline:" + *local.srtp_inline_key, ""});
  }
  m.direction = local.direction;
  sdp.media.push_back(std::move(m));
  return sdp;
}

Result<Answer> answer_offer(const SessionDescription& offer, const LocalMediaOptions& local) {
  if (local.address.empty())
    return fail(ErrorCode::kInvalidArgument, "answer needs a local address");
  auto audio_index = find_audio(offer);
  if (!audio_index) return std::unexpected(audio_index.error());
  const MediaDescription& om = offer.media[*audio_index];

  // Choose the codec: our preference order, restricted to what the offer lists.
  std::optional<CodecSpec> chosen;
  for (CodecId want : local.codecs) {
    for (int f : om.formats) {
      auto r = om.rtpmap_for(f);
      if (r && codec_from_rtpmap(*r) == want) {
        chosen = spec_from(want, *r);
        break;
      }
    }
    if (chosen) break;
  }
  if (!chosen) {
    std::string offered;
    for (int f : om.formats) {
      auto r = om.rtpmap_for(f);
      offered += (offered.empty() ? "" : ",") + (r ? r->encoding : std::to_string(f));
    }
    return incompatible("no common codec (offered " + clip(offered) + ")");
  }

  NegotiatedMedia n;
  n.media_index = *audio_index;
  n.codec = *chosen;
  if (local.telephone_event) {
    if (auto te = pick_telephone_event(om, chosen->clock_rate)) {
      n.telephone_event_pt = te->payload_type;
      n.telephone_event_clock = te->clock_rate;
    }
  }
  n.ptime = om.ptime.value_or(local.ptime);
  n.direction = intersect(reverse(offer.direction_of(*audio_index)), local.direction);
  auto conn = offer.connection_of(*audio_index);
  if (!conn) return fail(ErrorCode::kInvalidArgument, "offer's audio stream has no c= line");
  n.remote_address = conn->address;
  n.remote_rtp_port = om.port;
  n.rtcp_mux = om.rtcp_mux && local.rtcp_mux;
  n.remote_rtcp_port =
      n.rtcp_mux ? om.port : om.rtcp_port.value_or(static_cast<std::uint16_t>(om.port + 1));

  if (is_savp(om.proto)) {
    if (!local.srtp_inline_key) return incompatible("SRTP offered but no local key configured");
    for (const auto& c : om.crypto) {
      if (srtp_suite_supported(c.suite)) {
        n.remote_crypto = c;
        break;
      }
    }
    if (!n.remote_crypto) return incompatible("no supported SRTP crypto suite offered");
    n.local_crypto = CryptoAttribute{n.remote_crypto->tag, n.remote_crypto->suite,
                                     "inline:" + *local.srtp_inline_key, ""};
  }

  // The answer mirrors every offered m= line (RFC 3264 §6); all but the audio one rejected.
  Answer a{skeleton(local), std::move(n)};
  for (std::size_t i = 0; i < offer.media.size(); ++i) {
    const auto& src = offer.media[i];
    MediaDescription m;
    m.media = src.media;
    m.proto = src.proto;
    if (i != *audio_index) {
      m.port = 0;
      // A rejected line still needs one format to be well formed: echo the first offered.
      if (!src.formats.empty()) {
        m.formats = {src.formats.front()};
      } else if (!src.other_formats.empty()) {
        m.other_formats = {src.other_formats.front()};
      } else {
        m.formats = {0};
      }
      a.sdp.media.push_back(std::move(m));
      continue;
    }
    m.port = local.port;
    m.formats.push_back(a.media.codec.payload_type);
    m.rtpmaps.push_back(rtpmap_of(a.media.codec.id, a.media.codec.payload_type));
    if (a.media.codec.id == CodecId::kOpus) m.rtpmaps.back().fmtp = a.media.codec.fmtp;
    if (a.media.telephone_event_pt) {
      auto te = om.rtpmap_for(*a.media.telephone_event_pt);
      m.formats.push_back(te->payload_type);
      m.rtpmaps.push_back({te->payload_type, "telephone-event", te->clock_rate, 1, "0-16"});
    }
    m.ptime = a.media.ptime;
    m.rtcp_mux = a.media.rtcp_mux;
    if (a.media.local_crypto) m.crypto.push_back(*a.media.local_crypto);
    m.direction = a.media.direction;
    a.sdp.media.push_back(std::move(m));
  }
  return a;
}

Result<NegotiatedMedia> apply_answer(const SessionDescription& offer,
                                     const SessionDescription& answer) {
  auto offer_index = find_audio(offer);
  if (!offer_index) return std::unexpected(offer_index.error());
  if (answer.media.size() != offer.media.size())
    return fail(ErrorCode::kInvalidArgument, "answer has " + std::to_string(answer.media.size()) +
                                                 " m= lines, offer had " +
                                                 std::to_string(offer.media.size()));
  const std::size_t i = *offer_index;
  const MediaDescription& om = offer.media[i];
  const MediaDescription& am = answer.media[i];
  if (am.media != "audio")
    return fail(ErrorCode::kInvalidArgument, "answer changed the media type");
  if (am.port == 0) return incompatible("peer rejected the audio stream");

  NegotiatedMedia n;
  n.media_index = i;
  for (int f : am.formats) {
    auto r = am.rtpmap_for(f);
    if (!r) continue;
    auto id = codec_from_rtpmap(*r);
    if (!id) continue;
    bool offered = false;
    for (int of : om.formats) {
      auto orr = om.rtpmap_for(of);
      offered = offered || (orr && codec_from_rtpmap(*orr) == id);
    }
    if (offered) {
      n.codec = spec_from(*id, *r);
      n.ptime = am.ptime.value_or(om.ptime.value_or(20));
      if (auto te = pick_telephone_event(am, r->clock_rate)) {
        n.telephone_event_pt = te->payload_type;
        n.telephone_event_clock = te->clock_rate;
      }
      n.direction = intersect(reverse(answer.direction_of(i)), offer.direction_of(i));
      auto conn = answer.connection_of(i);
      if (!conn) return fail(ErrorCode::kInvalidArgument, "answer's audio stream has no c= line");
      n.remote_address = conn->address;
      n.remote_rtp_port = am.port;
      n.rtcp_mux = am.rtcp_mux && om.rtcp_mux;
      n.remote_rtcp_port =
          n.rtcp_mux ? am.port : am.rtcp_port.value_or(static_cast<std::uint16_t>(am.port + 1));
      if (is_savp(om.proto)) {
        if (am.crypto.empty() || !srtp_suite_supported(am.crypto.front().suite))
          return incompatible("answer lacks a usable SRTP crypto attribute");
        n.remote_crypto = am.crypto.front();
        for (const auto& c : om.crypto) {
          if (c.tag == n.remote_crypto->tag) n.local_crypto = c;
        }
        if (!n.local_crypto) return incompatible("answer's crypto tag matches nothing offered");
      }
      return n;
    }
  }
  return incompatible("answer selected no codec we offered");
}

}  // namespace hotline::media
