// Asynchronous, batching writer of the event log: the control loop hands events
// over without ever waiting on disk; a thread of its own, with a Store connection
// of its own, writes them in batches of one transaction each.
//
// Thread-safety: append(), flush() and stop() may be called from any thread.
// Invariants:
//  1. Events are written in append order; each batch is one transaction.
//  2. An event append() accepted is written, or else counted in
//     hotline_event_log_dropped_total and logged: never lost silently. A batch that
//     fails for a passing reason (database down, disk full, lock timeout) is kept and
//     retried with exponential backoff; an event the database rejects as invalid is
//     dropped alone, not with its batch.
//  3. stop() writes everything accepted before it returns, unless the database stays
//     unwritable for stop_timeout; what is left then is dropped (counted, logged).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "store/store.hpp"

namespace hotline::store {

struct EventWriterOptions {
  std::size_t max_batch = 2000;                             // events per transaction
  Duration flush_interval = std::chrono::milliseconds(20);  // longest an event waits
  std::size_t queue_capacity = 1'000'000;                   // events held in memory
  Duration retry_initial_backoff = std::chrono::milliseconds(50);
  Duration retry_max_backoff = std::chrono::seconds(5);
  Duration stop_timeout = std::chrono::seconds(30);  // stop() gives up on a dead database
};

class EventWriter {
 public:
  // REQUIRES: `store` is migrated; `metrics` outlives the writer.
  EventWriter(std::unique_ptr<Store> store, EventWriterOptions options, MetricsRegistry& metrics);
  ~EventWriter();  // stop()
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // Never blocks on disk. False (and counted as dropped) only if the queue is full
  // or the writer is stopped.
  bool append(Event e);
  // Blocks until every event appended before the call is written (or dropped per
  // invariant 3). For tests and shutdown.
  void flush();
  // Writes everything still queued, then joins the thread. Idempotent.
  void stop();

 private:
  void run();
  // Returns once every event is written or dropped (invariants 2 and 3).
  void write_with_retry(std::span<const Event> events);
  void drop(std::size_t n, std::string_view reason);
  bool giving_up() const;  // REQUIRES: mu_ held

  std::unique_ptr<Store> store_;  // used by the writer thread only
  const EventWriterOptions options_;

  Counter& writes_;
  Counter& batches_;
  Counter& dropped_;
  Counter& write_errors_;
  Gauge& queue_depth_;

  std::mutex mu_;
  std::condition_variable wake_writer_;  // events, flush request or stop
  std::condition_variable progress_;     // done_ advanced
  std::deque<Event> queue_;              // guarded by mu_
  std::uint64_t accepted_ = 0;           // guarded by mu_: events ever accepted
  std::uint64_t done_ = 0;               // guarded by mu_: accepted and written or dropped
  std::uint64_t flush_target_ = 0;       // guarded by mu_: a flush() waits for done_ >= this
  bool stopping_ = false;                // guarded by mu_
  bool full_logged_ = false;             // guarded by mu_: one warning per overflow episode
  MonoTime stop_deadline_{};             // guarded by mu_: set with stopping_
  bool failing_ = false;  // writer thread only: gave up on a batch at stop; drop the rest

  std::mutex stop_mu_;  // serialises stop() callers around join
  std::thread thread_;
};

}  // namespace hotline::store
