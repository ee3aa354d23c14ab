// Things the media thread plays to a call: in-memory clips (prompts loaded from WAV or
// synthesised), looping music on hold, and a playlist that plays sources in turn and can
// be cut short by a DTMF key (barge-in). Loading touches the disk and belongs on a worker
// thread; a loaded AudioClip is immutable and shared between the calls playing it.
// Sources are used by one thread at a time (thread-compatible).
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "common/error.hpp"

namespace hotline::media {

// Mono 16-bit PCM at a known rate.
struct AudioClip {
  int sample_rate = 8000;
  std::vector<std::int16_t> samples;
  int duration_ms() const {
    return sample_rate > 0
               ? static_cast<int>(samples.size() * 1000 / static_cast<std::size_t>(sample_rate))
               : 0;
  }
};

// Any file libsndfile reads (WAV of any rate, channels and sample format), mixed down to
// mono and resampled to `target_rate`. Bounded to `max_seconds` so a bad file cannot eat
// memory. Blocking disk I/O: call from a worker thread.
Result<AudioClip> load_audio_file(const std::filesystem::path& path, int target_rate,
                                  int max_seconds = 600);
// Writes a 16-bit mono WAV (for caches and tests). Blocking disk I/O.
Status save_wav(const std::filesystem::path& path, const AudioClip& clip);

class AudioSource {
 public:
  virtual ~AudioSource() = default;
  // Writes up to out.size() samples; returns how many. Fewer than asked only when the
  // source has finished (the caller pads with silence).
  virtual std::size_t read(std::span<std::int16_t> out) = 0;
  virtual bool finished() const = 0;
};

// Plays a clip once, or forever when `loop` (music on hold).
class ClipSource final : public AudioSource {
 public:
  ClipSource(std::shared_ptr<const AudioClip> clip, bool loop = false)
      : clip_(std::move(clip)), loop_(loop) {}
  std::size_t read(std::span<std::int16_t> out) override;
  bool finished() const override;

 private:
  std::shared_ptr<const AudioClip> clip_;
  bool loop_;
  std::size_t pos_ = 0;
};

// Plays sources one after another. A DTMF key during an item queued with barge_in stops
// that item and every queued item after it (the caller has answered the menu).
class Playlist final : public AudioSource {
 public:
  void enqueue(std::unique_ptr<AudioSource> source, bool barge_in = true);
  // Returns true when the key interrupted playback.
  bool on_dtmf(char digit);
  void clear() { items_.clear(); }
  std::size_t pending() const { return items_.size(); }

  std::size_t read(std::span<std::int16_t> out) override;
  bool finished() const override { return items_.empty(); }

 private:
  struct Item {
    std::unique_ptr<AudioSource> source;
    bool barge_in;
  };
  std::deque<Item> items_;
};

}  // namespace hotline::media
