#include "media/audio_source.hpp"

#include <sndfile.h>

#include <algorithm>
#include <string>

#include "media/resampler.hpp"

namespace hotline::media {
namespace {

struct SndFileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndFilePtr = std::unique_ptr<SNDFILE, SndFileCloser>;

}  // namespace

Result<AudioClip> load_audio_file(const std::filesystem::path& path, int target_rate,
                                  int max_seconds) {
  SF_INFO info{};
  SndFilePtr f(sf_open(path.c_str(), SFM_READ, &info));
  if (!f)
    return fail(ErrorCode::kInvalidArgument,
                "cannot read audio file " + path.string() + ": " + sf_strerror(nullptr));
  if (info.channels < 1 || info.channels > 16 || info.samplerate < 1000 || info.samplerate > 192000)
    return fail(ErrorCode::kInvalidArgument, "unsupported audio format in " + path.string());
  if (info.frames < 0 || info.frames > static_cast<sf_count_t>(max_seconds) * info.samplerate)
    return fail(ErrorCode::kResourceExhausted, "audio file too long: " + path.string());

  const auto channels = static_cast<std::size_t>(info.channels);
  std::vector<std::int16_t> mono;
  mono.reserve(static_cast<std::size_t>(info.frames));
  std::vector<std::int16_t> buf(4096 * channels);
  for (;;) {
    const sf_count_t got = sf_readf_short(f.get(), buf.data(), 4096);
    if (got <= 0) break;
    for (sf_count_t i = 0; i < got; ++i) {
      int sum = 0;
      for (std::size_t c = 0; c < channels; ++c)
        sum += buf[static_cast<std::size_t>(i) * channels + c];
      mono.push_back(static_cast<std::int16_t>(sum / static_cast<int>(channels)));
    }
  }
  if (sf_error(f.get()) != SF_ERR_NO_ERROR)
    return fail(ErrorCode::kIo, "reading " + path.string() + ": " + sf_strerror(f.get()));
  auto resampled = resample_all(mono, info.samplerate, target_rate);
  if (!resampled) return std::unexpected(resampled.error());
  return AudioClip{target_rate, std::move(*resampled)};
}

Status save_wav(const std::filesystem::path& path, const AudioClip& clip) {
  SF_INFO info{};
  info.samplerate = clip.sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SndFilePtr f(sf_open(path.c_str(), SFM_WRITE, &info));
  if (!f)
    return fail(ErrorCode::kIo, "cannot write " + path.string() + ": " + sf_strerror(nullptr));
  const auto n = static_cast<sf_count_t>(clip.samples.size());
  if (sf_write_short(f.get(), clip.samples.data(), n) != n)
    return fail(ErrorCode::kIo, "short write to " + path.string());
  return {};
}

std::size_t ClipSource::read(std::span<std::int16_t> out) {
  const auto& s = clip_->samples;
  if (s.empty()) return 0;
  std::size_t written = 0;
  while (written < out.size()) {
    if (pos_ >= s.size()) {
      if (!loop_) break;
      pos_ = 0;
    }
    const std::size_t n = std::min(out.size() - written, s.size() - pos_);
    std::copy_n(s.begin() + static_cast<std::ptrdiff_t>(pos_), n,
                out.begin() + static_cast<std::ptrdiff_t>(written));
    pos_ += n;
    written += n;
  }
  return written;
}

bool ClipSource::finished() const {
  return !loop_ && pos_ >= clip_->samples.size();
}

void Playlist::enqueue(std::unique_ptr<AudioSource> source, bool barge_in) {
  items_.push_back(Item{std::move(source), barge_in});
}

bool Playlist::on_dtmf(char /*digit*/) {
  if (items_.empty() || !items_.front().barge_in) return false;
  items_.clear();
  return true;
}

std::size_t Playlist::read(std::span<std::int16_t> out) {
  std::size_t written = 0;
  while (written < out.size() && !items_.empty()) {
    auto& src = *items_.front().source;
    const std::size_t n = src.read(out.subspan(written));
    written += n;
    if (src.finished()) {
      items_.pop_front();
    } else if (n == 0) {
      break;  // a source that stalls without finishing must not spin the media thread
    }
  }
  return written;
}

}  // namespace hotline::media
