// Call recording: both parties into one WAV, stereo (caller left, agent right) or mixed
// mono. The media thread hands frames to write(), which only copies into a bounded ring
// (never touches the disk, never allocates); a writer thread owned by the Recorder drains
// the ring into the file.
//
// Crash safety: 16-bit PCM WAV whose header the writer refreshes every
// `header_refresh_ms`; if the process dies, the file is a valid WAV up to the last refresh,
// and recover_wav() (wav_recovery.hpp) restores everything that reached the disk.
//
// Threading: write()/pause()/resume() may be called from the media thread while the
// writer runs; stop() from any one thread (it joins the writer). Counters are atomics.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "common/error.hpp"

namespace hotline::media {

enum class RecordingLayout { kStereo, kMixedMono };

struct RecorderOptions {
  std::filesystem::path path;
  int sample_rate = 8000;
  RecordingLayout layout = RecordingLayout::kStereo;
  int queue_ms = 5000;           // ring capacity: how far the disk may lag before frames drop
  int header_refresh_ms = 1000;  // how much audio a crash may leave outside the header
  int flush_interval_ms = 200;   // the writer batches this much (or half the ring) per write
};

struct RecorderStats {
  std::uint64_t frames_written = 0;  // sample frames that reached the file
  std::uint64_t frames_dropped = 0;  // lost because the ring was full (disk too slow)
  std::uint64_t frames_paused = 0;   // replaced by silence while paused
};

class Recorder {
 public:
  // Creates the file and starts the writer thread. Disk I/O: call off the media thread.
  static Result<std::unique_ptr<Recorder>> start(const RecorderOptions& options);
  ~Recorder();  // stops and finalises if stop() was not called
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // One block of each party's audio at the recording rate (equal lengths; the shorter is
  // padded with silence). Never blocks on I/O. Returns false if the block was dropped.
  bool write(std::span<const std::int16_t> caller, std::span<const std::int16_t> agent);
  // While paused (e.g. a card number is being read out) audio is recorded as silence, so
  // the recording keeps the call's timeline.
  void pause();
  void resume();
  bool paused() const;
  // Drains the ring, finalises the header and joins the writer. Idempotent.
  Status stop();
  // Blocks until everything written so far is in the file (tests, orderly hand-over).
  void flush();
  RecorderStats stats() const;

 private:
  struct Impl;
  explicit Recorder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hotline::media
