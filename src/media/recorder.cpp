#include "media/recorder.hpp"

#include <sndfile.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace hotline::media {

struct Recorder::Impl {
  RecorderOptions options;
  int channels = 2;
  SNDFILE* file = nullptr;

  // Ring of interleaved samples. Guarded by mu.
  std::mutex mu;
  std::condition_variable cv_data;     // writer waits for data or stop
  std::condition_variable cv_drained;  // flush() waits for the writer to catch up
  std::vector<std::int16_t> ring;
  std::size_t head = 0;  // next read position
  std::size_t size = 0;  // samples queued
  bool stopping = false;
  bool flush_requested = false;
  bool writing = false;  // writer holds a batch outside the lock
  Status write_error;

  std::atomic<bool> is_paused{false};
  std::atomic<std::uint64_t> written{0}, dropped{0}, paused_frames{0};
  std::thread writer;
  bool stopped = false;  // guarded by mu (stop() is the only writer)

  void run() {
    std::vector<std::int16_t> batch;
    batch.reserve(ring.size());
    auto last_refresh = std::chrono::steady_clock::now();
    std::unique_lock lock(mu);
    for (;;) {
      // Wake for a batch, not for every frame: a full write per 20 ms frame per recording
      // cost more than the media threads' relay itself with a thousand calls recorded.
      cv_data.wait_for(lock, std::chrono::milliseconds(options.flush_interval_ms),
                       [&] { return size >= ring.size() / 2 || stopping || flush_requested; });
      flush_requested = false;
      if (size == 0 && !stopping) {
        cv_drained.notify_all();
        continue;
      }
      if (size == 0 && stopping) break;
      batch.clear();
      const std::size_t first = std::min(size, ring.size() - head);
      batch.insert(batch.end(), ring.begin() + static_cast<std::ptrdiff_t>(head),
                   ring.begin() + static_cast<std::ptrdiff_t>(head + first));
      batch.insert(batch.end(), ring.begin(),
                   ring.begin() + static_cast<std::ptrdiff_t>(size - first));
      head = (head + size) % ring.size();
      size = 0;
      writing = true;
      lock.unlock();

      const auto frames =
          static_cast<sf_count_t>(batch.size() / static_cast<std::size_t>(channels));
      const sf_count_t n = sf_writef_short(file, batch.data(), frames);
      written.fetch_add(static_cast<std::uint64_t>(std::max<sf_count_t>(n, 0)),
                        std::memory_order_relaxed);
      // Refreshing the header is a seek and a small write: cheap at once a second, and it
      // bounds what a crash can leave unaccounted for even without recover_wav().
      const auto now = std::chrono::steady_clock::now();
      if (now - last_refresh >= std::chrono::milliseconds(options.header_refresh_ms)) {
        sf_command(file, SFC_UPDATE_HEADER_NOW, nullptr, 0);
        last_refresh = now;
      }

      lock.lock();
      writing = false;
      if (n != frames && write_error)
        write_error = fail(ErrorCode::kIo, "recorder: short write to " + options.path.string());
      cv_drained.notify_all();
    }
    cv_drained.notify_all();
  }
};

Recorder::Recorder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Recorder>> Recorder::start(const RecorderOptions& options) {
  if (options.sample_rate < 8000 || options.sample_rate > 48000)
    return fail(ErrorCode::kInvalidArgument, "recorder: sample rate out of range");
  if (options.queue_ms < 100 || options.queue_ms > 60000 || options.header_refresh_ms < 0)
    return fail(ErrorCode::kInvalidArgument, "recorder: bad queue or refresh setting");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->channels = options.layout == RecordingLayout::kStereo ? 2 : 1;
  SF_INFO info{};
  info.samplerate = options.sample_rate;
  info.channels = impl->channels;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  impl->file = sf_open(options.path.c_str(), SFM_WRITE, &info);
  if (!impl->file)
    return fail(ErrorCode::kIo,
                "recorder: cannot create " + options.path.string() + ": " + sf_strerror(nullptr));
  impl->ring.assign(static_cast<std::size_t>(options.sample_rate) *
                        static_cast<std::size_t>(options.queue_ms) / 1000 *
                        static_cast<std::size_t>(impl->channels),
                    0);
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->run(); });
  return std::unique_ptr<Recorder>(new Recorder(std::move(impl)));
}

Recorder::~Recorder() {
  if (impl_) (void)stop();
}

bool Recorder::write(std::span<const std::int16_t> caller, std::span<const std::int16_t> agent) {
  Impl& m = *impl_;
  const std::size_t frames = std::max(caller.size(), agent.size());
  if (frames == 0) return true;
  const bool silent = m.is_paused.load(std::memory_order_relaxed);
  const std::size_t need = frames * static_cast<std::size_t>(m.channels);
  std::unique_lock lock(m.mu);
  if (m.stopping || m.ring.size() - m.size < need) {
    lock.unlock();
    m.dropped.fetch_add(frames, std::memory_order_relaxed);
    return false;
  }
  std::size_t tail = (m.head + m.size) % m.ring.size();
  for (std::size_t i = 0; i < frames; ++i) {
    const int c = silent || i >= caller.size() ? 0 : caller[i];
    const int a = silent || i >= agent.size() ? 0 : agent[i];
    if (m.channels == 2) {
      m.ring[tail] = static_cast<std::int16_t>(c);
      tail = tail + 1 == m.ring.size() ? 0 : tail + 1;
      m.ring[tail] = static_cast<std::int16_t>(a);
    } else {
      m.ring[tail] = static_cast<std::int16_t>(std::clamp(c + a, -32768, 32767));
    }
    tail = tail + 1 == m.ring.size() ? 0 : tail + 1;
  }
  m.size += need;
  const bool wake = m.size >= m.ring.size() / 2;
  lock.unlock();
  if (wake) m.cv_data.notify_one();
  if (silent) m.paused_frames.fetch_add(frames, std::memory_order_relaxed);
  return true;
}

void Recorder::pause() {
  impl_->is_paused.store(true, std::memory_order_relaxed);
}
void Recorder::resume() {
  impl_->is_paused.store(false, std::memory_order_relaxed);
}
bool Recorder::paused() const {
  return impl_->is_paused.load(std::memory_order_relaxed);
}

void Recorder::flush() {
  Impl& m = *impl_;
  std::unique_lock lock(m.mu);
  m.flush_requested = true;
  m.cv_data.notify_one();
  m.cv_drained.wait(lock, [&] { return (m.size == 0 && !m.writing) || m.stopped; });
}

Status Recorder::stop() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (m.stopped) return m.write_error;
  }
  {
    std::lock_guard lock(m.mu);
    m.stopping = true;
  }
  m.cv_data.notify_one();
  if (m.writer.joinable()) m.writer.join();
  {
    std::lock_guard lock(m.mu);
    m.stopped = true;
  }
  if (sf_close(m.file) != 0 && m.write_error)
    m.write_error = fail(ErrorCode::kIo, "recorder: close failed");
  m.file = nullptr;
  return m.write_error;
}

RecorderStats Recorder::stats() const {
  return RecorderStats{impl_->written.load(std::memory_order_relaxed),
                       impl_->dropped.load(std::memory_order_relaxed),
                       impl_->paused_frames.load(std::memory_order_relaxed)};
}

}  // namespace hotline::media
