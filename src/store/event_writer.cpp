#include "store/event_writer.hpp"

#include <pthread.h>

#include <algorithm>

#include "common/log.hpp"

namespace hotline::store {
namespace {

MonoTime mono_now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

EventWriterOptions sanitized(EventWriterOptions o) {
  o.max_batch = std::max<std::size_t>(o.max_batch, 1);
  o.queue_capacity = std::max<std::size_t>(o.queue_capacity, 1);
  o.retry_initial_backoff = std::max(o.retry_initial_backoff, Duration(1));
  o.retry_max_backoff = std::max(o.retry_max_backoff, o.retry_initial_backoff);
  return o;
}

}  // namespace

EventWriter::EventWriter(std::unique_ptr<Store> store, EventWriterOptions options,
                         MetricsRegistry& metrics)
    : store_(std::move(store)),
      options_(sanitized(options)),
      writes_(metrics.counter("hotline_event_log_writes_total", "Events written to the event log")),
      batches_(metrics.counter("hotline_event_log_batches_total",
                               "Transactions that wrote events to the event log")),
      dropped_(metrics.counter("hotline_event_log_dropped_total",
                               "Events not written: queue full, rejected by the database, or "
                               "database unwritable at shutdown")),
      write_errors_(metrics.counter("hotline_event_log_write_errors_total",
                                    "Failed event log write attempts (each is retried)")),
      queue_depth_(
          metrics.gauge("hotline_event_log_queue_depth", "Events accepted but not yet written")) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hotline-evlog");  // for top, perf and gdb
    run();
  });
}

EventWriter::~EventWriter() {
  stop();
}

bool EventWriter::append(Event e) {
  std::unique_lock lock(mu_);
  if (stopping_ || queue_.size() >= options_.queue_capacity) {
    dropped_.inc();
    if (!full_logged_) {
      full_logged_ = true;
      log::warn("store",
                stopping_ ? "event log writer stopped; dropping events"
                          : "event log queue full; dropping events",
                {log::kv("capacity", options_.queue_capacity)});
    }
    return false;
  }
  queue_.push_back(std::move(e));
  ++accepted_;
  queue_depth_.set(static_cast<std::int64_t>(accepted_ - done_));
  const bool wake = queue_.size() == 1 || queue_.size() == options_.max_batch;
  lock.unlock();
  if (wake) wake_writer_.notify_one();
  return true;
}

void EventWriter::flush() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = accepted_;
  if (done_ >= target) return;
  flush_target_ = std::max(flush_target_, target);
  wake_writer_.notify_one();
  progress_.wait(lock, [&] { return done_ >= target; });
}

void EventWriter::stop() {
  std::lock_guard stop_guard(stop_mu_);
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = mono_now() + options_.stop_timeout;
    }
  }
  wake_writer_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool EventWriter::giving_up() const {
  return stopping_ && mono_now() >= stop_deadline_;
}

void EventWriter::run() {
  std::vector<Event> batch;
  batch.reserve(std::min(options_.max_batch, options_.queue_capacity));
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // Let the batch fill for up to flush_interval, unless someone waits for it.
      auto hurry = [&] {
        return stopping_ || queue_.size() >= options_.max_batch || flush_target_ > done_;
      };
      if (!hurry()) wake_writer_.wait_for(lock, options_.flush_interval, hurry);
      if (queue_.empty()) {
        if (stopping_) return;
        continue;
      }
      if (failing_ && giving_up()) {
        const std::size_t n = queue_.size();
        queue_.clear();
        done_ += n;
        queue_depth_.set(static_cast<std::int64_t>(accepted_ - done_));
        lock.unlock();
        drop(n, "the database stayed unwritable past the stop timeout");
        progress_.notify_all();
        continue;
      }
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n),
                std::back_inserter(batch));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      if (queue_.size() < options_.queue_capacity / 2) full_logged_ = false;
    }

    write_with_retry(batch);

    {
      std::lock_guard lock(mu_);
      done_ += batch.size();
      queue_depth_.set(static_cast<std::int64_t>(accepted_ - done_));
    }
    progress_.notify_all();
    batch.clear();
  }
}

void EventWriter::write_with_retry(std::span<const Event> events) {
  Duration backoff = options_.retry_initial_backoff;
  for (;;) {
    auto s = store_->append_events(events);
    if (s) {
      failing_ = false;
      writes_.inc(events.size());
      batches_.inc();
      return;
    }
    write_errors_.inc();
    if (s.error().code == ErrorCode::kInvalidArgument) {
      // The database refused the data itself (unknown tenant, bad JSON): retrying
      // cannot help. Write the rest; drop only the offending event.
      if (events.size() == 1) {
        drop(1, s.error().describe());
        return;
      }
      for (std::size_t i = 0; i < events.size(); ++i) write_with_retry(events.subspan(i, 1));
      return;
    }
    log::error("store", "event log write failed; keeping the events and retrying",
               {log::kv("events", events.size()), log::kv("error", s.error().describe()),
                log::kv("retry_in_ms", backoff.count() / 1000)});

    const MonoTime retry_at = mono_now() + backoff;
    std::unique_lock lock(mu_);
    for (;;) {
      const MonoTime until = stopping_ ? std::min(retry_at, stop_deadline_) : retry_at;
      if (mono_now() >= until) break;
      wake_writer_.wait_until(lock, until);
    }
    if (giving_up()) {
      failing_ = true;
      lock.unlock();
      drop(events.size(),
           "the database stayed unwritable past the stop timeout: " + s.error().describe());
      return;
    }
    backoff = std::min(backoff * 2, options_.retry_max_backoff);
  }
}

void EventWriter::drop(std::size_t n, std::string_view reason) {
  dropped_.inc(n);
  log::error("store", "event log dropped events",
             {log::kv("events", n), log::kv("reason", reason)});
}

}  // namespace hotline::store
