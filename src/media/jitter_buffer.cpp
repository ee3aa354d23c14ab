#include "media/jitter_buffer.hpp"

#include <speex/speex_jitter.h>

namespace hotline::media {
namespace {
constexpr std::size_t kMaxPayload = 1500;
}

struct JitterBuffer::State {
  ::JitterBuffer* jb = nullptr;
  std::uint32_t frame_units = 160;
  std::vector<char> scratch = std::vector<char>(kMaxPayload);
  ~State() {
    if (jb) jitter_buffer_destroy(jb);
  }
};

JitterBuffer::JitterBuffer(std::unique_ptr<State> s) : state_(std::move(s)) {}
JitterBuffer::JitterBuffer(JitterBuffer&&) noexcept = default;
JitterBuffer& JitterBuffer::operator=(JitterBuffer&&) noexcept = default;
JitterBuffer::~JitterBuffer() = default;

Result<JitterBuffer> JitterBuffer::create(std::uint32_t frame_units) {
  if (frame_units == 0 || frame_units > 48000)
    return fail(ErrorCode::kInvalidArgument, "jitter buffer: bad frame size");
  auto s = std::make_unique<State>();
  s->frame_units = frame_units;
  s->jb = jitter_buffer_init(static_cast<int>(frame_units));
  if (!s->jb) return fail(ErrorCode::kInternal, "jitter buffer: init failed");
  spx_int32_t margin = 0;
  jitter_buffer_ctl(s->jb, JITTER_BUFFER_SET_MARGIN, &margin);
  return JitterBuffer(std::move(s));
}

Status JitterBuffer::put(std::span<const std::uint8_t> payload, std::uint32_t timestamp,
                         std::uint16_t sequence) {
  if (payload.size() > kMaxPayload)
    return fail(ErrorCode::kInvalidArgument, "jitter buffer: payload too large");
  JitterBufferPacket p{};
  // speexdsp copies the bytes; its API is not const-correct.
  p.data = const_cast<char*>(reinterpret_cast<const char*>(payload.data()));
  p.len = static_cast<spx_uint32_t>(payload.size());
  p.timestamp = timestamp;
  p.span = state_->frame_units;
  p.sequence = sequence;
  jitter_buffer_put(state_->jb, &p);
  return {};
}

PlayoutResult JitterBuffer::get(std::vector<std::uint8_t>& payload, std::uint32_t* timestamp) {
  JitterBufferPacket p{};
  p.data = state_->scratch.data();
  p.len = static_cast<spx_uint32_t>(state_->scratch.size());
  spx_int32_t offset = 0;
  const int r =
      jitter_buffer_get(state_->jb, &p, static_cast<spx_int32_t>(state_->frame_units), &offset);
  jitter_buffer_tick(state_->jb);
  if (r != JITTER_BUFFER_OK) {
    payload.clear();
    return PlayoutResult::kMissing;
  }
  payload.assign(reinterpret_cast<const std::uint8_t*>(p.data),
                 reinterpret_cast<const std::uint8_t*>(p.data) + p.len);
  if (timestamp) *timestamp = p.timestamp;
  return PlayoutResult::kFrame;
}

int JitterBuffer::buffered() const {
  int n = 0;
  jitter_buffer_ctl(state_->jb, JITTER_BUFFER_GET_AVAILABLE_COUNT, &n);
  return n;
}

void JitterBuffer::reset() {
  jitter_buffer_reset(state_->jb);
}

}  // namespace hotline::media
