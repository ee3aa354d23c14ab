#include "media/codec.hpp"

#include <opus.h>

#include <string>

extern "C" {
#include <spandsp.h>
}

namespace hotline::media {
namespace {

class G711Codec final : public AudioCodec {
 public:
  G711Codec(CodecId id, int pt) : id_(id) { payload_type_ = pt; }
  CodecId id() const override { return id_; }
  int sample_rate() const override { return 8000; }
  int rtp_clock_rate() const override { return 8000; }

  Result<std::size_t> encode(std::span<const std::int16_t> pcm,
                             std::span<std::uint8_t> out) override {
    if (out.size() < pcm.size()) return fail(ErrorCode::kInvalidArgument, "g711: output too small");
    for (std::size_t i = 0; i < pcm.size(); ++i)
      out[i] = id_ == CodecId::kPcmu ? linear_to_ulaw(pcm[i]) : linear_to_alaw(pcm[i]);
    return pcm.size();
  }
  Result<std::size_t> decode(std::span<const std::uint8_t> payload,
                             std::span<std::int16_t> out) override {
    if (out.size() < payload.size())
      return fail(ErrorCode::kInvalidArgument, "g711: output too small");
    for (std::size_t i = 0; i < payload.size(); ++i)
      out[i] = id_ == CodecId::kPcmu ? ulaw_to_linear(payload[i]) : alaw_to_linear(payload[i]);
    return payload.size();
  }

 private:
  CodecId id_;
};

class G722Codec final : public AudioCodec {
 public:
  explicit G722Codec(int pt)
      : enc_(g722_encode_init(nullptr, 64000, 0)), dec_(g722_decode_init(nullptr, 64000, 0)) {
    payload_type_ = pt;
  }
  ~G722Codec() override {
    if (enc_) g722_encode_free(enc_);
    if (dec_) g722_decode_free(dec_);
  }
  bool ok() const { return enc_ && dec_; }
  CodecId id() const override { return CodecId::kG722; }
  int sample_rate() const override { return 16000; }
  int rtp_clock_rate() const override { return 8000; }

  Result<std::size_t> encode(std::span<const std::int16_t> pcm,
                             std::span<std::uint8_t> out) override {
    // 64 kbit/s: one byte per two 16 kHz samples.
    if (out.size() < (pcm.size() + 1) / 2)
      return fail(ErrorCode::kInvalidArgument, "g722: output too small");
    return static_cast<std::size_t>(
        g722_encode(enc_, out.data(), pcm.data(), static_cast<int>(pcm.size())));
  }
  Result<std::size_t> decode(std::span<const std::uint8_t> payload,
                             std::span<std::int16_t> out) override {
    if (out.size() < payload.size() * 2)
      return fail(ErrorCode::kInvalidArgument, "g722: output too small");
    return static_cast<std::size_t>(
        g722_decode(dec_, out.data(), payload.data(), static_cast<int>(payload.size())));
  }

 private:
  g722_encode_state_t* enc_;
  g722_decode_state_t* dec_;
};

class OpusCodec final : public AudioCodec {
 public:
  OpusCodec(int pt, int rate) : rate_(rate) { payload_type_ = pt; }
  ~OpusCodec() override {
    if (enc_) opus_encoder_destroy(enc_);
    if (dec_) opus_decoder_destroy(dec_);
  }
  Status init(int bitrate, int complexity) {
    int err = OPUS_OK;
    enc_ = opus_encoder_create(rate_, 1, OPUS_APPLICATION_VOIP, &err);
    if (err != OPUS_OK || !enc_)
      return fail(ErrorCode::kInvalidArgument, std::string("opus encoder: ") + opus_strerror(err));
    dec_ = opus_decoder_create(rate_, 1, &err);
    if (err != OPUS_OK || !dec_)
      return fail(ErrorCode::kInvalidArgument, std::string("opus decoder: ") + opus_strerror(err));
    opus_encoder_ctl(enc_, OPUS_SET_BITRATE_REQUEST, opus_int32{bitrate});
    opus_encoder_ctl(enc_, OPUS_SET_INBAND_FEC_REQUEST, opus_int32{1});
    opus_encoder_ctl(enc_, OPUS_SET_COMPLEXITY_REQUEST, opus_int32{complexity});
    return {};
  }
  CodecId id() const override { return CodecId::kOpus; }
  int sample_rate() const override { return rate_; }
  int rtp_clock_rate() const override { return 48000; }

  Result<std::size_t> encode(std::span<const std::int16_t> pcm,
                             std::span<std::uint8_t> out) override {
    const int n = opus_encode(enc_, pcm.data(), static_cast<int>(pcm.size()), out.data(),
                              static_cast<opus_int32>(out.size()));
    if (n < 0)
      return fail(ErrorCode::kInvalidArgument, std::string("opus encode: ") + opus_strerror(n));
    return static_cast<std::size_t>(n);
  }
  Result<std::size_t> decode(std::span<const std::uint8_t> payload,
                             std::span<std::int16_t> out) override {
    const int n = opus_decode(dec_, payload.data(), static_cast<opus_int32>(payload.size()),
                              out.data(), static_cast<int>(out.size()), 0);
    if (n < 0)
      return fail(ErrorCode::kInvalidArgument, std::string("opus decode: ") + opus_strerror(n));
    return static_cast<std::size_t>(n);
  }

 private:
  int rate_;
  OpusEncoder* enc_ = nullptr;
  OpusDecoder* dec_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<AudioCodec>> make_codec(const CodecSpec& spec, const CodecOptions& options) {
  switch (spec.id) {
    case CodecId::kPcmu:
    case CodecId::kPcma: return std::make_unique<G711Codec>(spec.id, spec.payload_type);
    case CodecId::kG722: {
      auto c = std::make_unique<G722Codec>(spec.payload_type);
      if (!c->ok()) return fail(ErrorCode::kInternal, "g722: spandsp init failed");
      return c;
    }
    case CodecId::kOpus: {
      const int r = options.opus_sample_rate;
      if (r != 8000 && r != 12000 && r != 16000 && r != 24000 && r != 48000)
        return fail(ErrorCode::kInvalidArgument,
                    "opus: unsupported sample rate " + std::to_string(r));
      auto c = std::make_unique<OpusCodec>(spec.payload_type, r);
      if (auto st = c->init(options.opus_bitrate, options.opus_complexity); !st)
        return std::unexpected(st.error());
      return c;
    }
  }
  return fail(ErrorCode::kInvalidArgument, "unknown codec");
}

}  // namespace hotline::media
