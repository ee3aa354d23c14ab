// EventWriter on both back ends: many producers, flush, a graceful stop that loses
// nothing, a full queue, retry after a failed write, and a database that stays dead.
#include "store/event_writer.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "store/test_backends.hpp"

namespace hotline::store {
namespace {

using testing::Backend;
using testing::BackendTest;
using namespace std::chrono_literals;

Event numbered(int producer, int i) {
  Event e;
  e.ts = from_micros(1'700'000'000'000'000 + i);
  e.type = "test.numbered";
  e.interaction_id = fmt::format("p{}", producer);
  e.agent_id = std::to_string(i);
  e.payload = fmt::format(R"({{"i":{}}})", i);
  return e;
}

// Waits for a condition another thread makes true; the deadline only turns a hang
// into a failure.
template <typename Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

class EventWriterTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    reader_ = open();
    ASSERT_TRUE(reader_);
    auto m = reader_->migrate();
    ASSERT_TRUE(m) << m.error().describe();
  }

  std::unique_ptr<Store> open() {
    auto s = open_store(url());
    EXPECT_TRUE(s) << s.error().describe();
    return s ? std::move(*s) : nullptr;
  }

  std::unique_ptr<EventWriter> writer(EventWriterOptions options) {
    return std::make_unique<EventWriter>(open(), options, metrics_);
  }

  std::int64_t stored() {
    auto rows = reader_->database().query("SELECT COUNT(*) FROM events");
    EXPECT_TRUE(rows) << rows.error().describe();
    return rows ? rows->int64(0, 0).value_or(-1) : -1;
  }

  std::uint64_t counter(std::string_view name) { return metrics_.counter(name, "").value(); }
  std::int64_t depth() { return metrics_.gauge("hotline_event_log_queue_depth", "").value(); }

  // Makes writers of the events table wait until the returned connection ends its
  // transaction.
  std::unique_ptr<Database> block_writes() {
    auto db = open_database(url());
    EXPECT_TRUE(db) << db.error().describe();
    if (!db) return nullptr;
    EXPECT_TRUE((*db)->begin());  // SQLite: BEGIN IMMEDIATE takes the write lock
    if (GetParam() == Backend::kPostgres) {
      EXPECT_TRUE((*db)->execute_script("LOCK TABLE events IN EXCLUSIVE MODE"));
    }
    return std::move(*db);
  }

  Status rename_events(std::string_view from, std::string_view to) {
    return reader_->database().execute_script(fmt::format("ALTER TABLE {} RENAME TO {}", from, to));
  }

  MetricsRegistry metrics_;
  std::unique_ptr<Store> reader_;
};

TEST_P(EventWriterTest, ManyProducersThenFlush) {
  constexpr int kProducers = 4;
  constexpr int kEach = 5000;
  auto w = writer({.max_batch = 500});
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&w, p] {
      for (int i = 0; i < kEach; ++i) ASSERT_TRUE(w->append(numbered(p, i)));
    });
  }
  for (auto& t : producers) t.join();
  w->flush();

  EXPECT_EQ(stored(), kProducers * kEach);
  EXPECT_EQ(counter("hotline_event_log_writes_total"), std::uint64_t{kProducers * kEach});
  EXPECT_GE(counter("hotline_event_log_batches_total"), std::uint64_t{kProducers * kEach / 500});
  EXPECT_EQ(counter("hotline_event_log_dropped_total"), 0u);
  EXPECT_EQ(depth(), 0);

  // Each producer's events are stored in the order it appended them.
  for (int p = 0; p < kProducers; ++p) {
    auto got = reader_->query_events(
        {.interaction_id = fmt::format("p{}", p), .limit = kMaxEventQueryLimit});
    ASSERT_TRUE(got) << got.error().describe();
    ASSERT_EQ(got->size(), std::size_t{kEach});
    for (int i = 0; i < kEach; ++i) {
      ASSERT_EQ((*got)[static_cast<std::size_t>(i)].event, numbered(p, i)) << p << "/" << i;
    }
  }
}

TEST_P(EventWriterTest, StopWritesEverythingStillQueued) {
  // A batch would wait an hour to fill: only stop() writes these.
  auto w = writer({.max_batch = 1'000'000, .flush_interval = 1h});
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(w->append(numbered(0, i)));
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(depth(), 3000);
  w->stop();
  EXPECT_EQ(stored(), 3000);
  EXPECT_EQ(depth(), 0);
  w->stop();  // idempotent
  EXPECT_FALSE(w->append(numbered(0, 1)));
  EXPECT_EQ(counter("hotline_event_log_dropped_total"), 1u);
  EXPECT_EQ(stored(), 3000);
}

TEST_P(EventWriterTest, DestructorStopsAndWrites) {
  {
    auto w = writer({.flush_interval = 1h});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->append(numbered(0, i)));
  }
  EXPECT_EQ(stored(), 10);
}

TEST_P(EventWriterTest, FlushWithNothingPendingReturns) {
  auto w = writer({});
  w->flush();
  ASSERT_TRUE(w->append(numbered(0, 0)));
  w->flush();
  EXPECT_EQ(stored(), 1);
  w->flush();
}

TEST_P(EventWriterTest, FullQueueRefusesAndCounts) {
  auto blocker = block_writes();
  ASSERT_TRUE(blocker);
  constexpr std::size_t kCapacity = 4;
  auto w = writer({.max_batch = 1,
                   .flush_interval = 0ms,
                   .queue_capacity = kCapacity,
                   .retry_initial_backoff = 1ms});
  std::size_t accepted = 0;
  for (int i = 0; i < 20; ++i) accepted += w->append(numbered(0, i)) ? 1 : 0;
  // The queue holds kCapacity; the writer may hold one more in its stuck batch.
  EXPECT_GE(accepted, kCapacity);
  EXPECT_LE(accepted, kCapacity + 1);
  EXPECT_EQ(counter("hotline_event_log_dropped_total"), 20 - accepted);
  EXPECT_EQ(depth(), static_cast<std::int64_t>(accepted));

  ASSERT_TRUE(blocker->rollback());
  w->flush();
  EXPECT_EQ(stored(), static_cast<std::int64_t>(accepted));
  EXPECT_EQ(counter("hotline_event_log_writes_total"), accepted);
  EXPECT_EQ(counter("hotline_event_log_dropped_total"), 20 - accepted);
  // Room again once drained.
  EXPECT_TRUE(w->append(numbered(0, 99)));
}

TEST_P(EventWriterTest, FailedWritesAreKeptAndRetried) {
  ASSERT_TRUE(rename_events("events", "events_away"));  // every insert now fails
  auto w = writer({.max_batch = 4, .retry_initial_backoff = 1ms, .retry_max_backoff = 5ms});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->append(numbered(0, i)));
  ASSERT_TRUE(eventually([&] { return counter("hotline_event_log_write_errors_total") >= 2; }));
  ASSERT_TRUE(rename_events("events_away", "events"));
  w->flush();
  EXPECT_EQ(stored(), 10);
  EXPECT_EQ(counter("hotline_event_log_writes_total"), 10u);
  EXPECT_EQ(counter("hotline_event_log_dropped_total"), 0u);
  auto got = reader_->query_events({});
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ((*got)[static_cast<std::size_t>(i)].event, numbered(0, i));
}

TEST_P(EventWriterTest, StopGivesUpOnADeadDatabase) {
  ASSERT_TRUE(rename_events("events", "events_away"));
  auto w = writer({.max_batch = 2, .retry_initial_backoff = 1ms, .stop_timeout = 0ms});
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(w->append(numbered(0, i)));
  w->stop();  // returns although nothing can be written
  EXPECT_EQ(counter("hotline_event_log_dropped_total"), 7u);
  EXPECT_EQ(counter("hotline_event_log_writes_total"), 0u);
  EXPECT_GE(counter("hotline_event_log_write_errors_total"), 1u);
  EXPECT_EQ(depth(), 0);
}

TEST_P(EventWriterTest, RejectedEventIsDroppedAloneNotWithItsBatch) {
  auto w = writer({.flush_interval = 1h});
  Event bad_json = numbered(0, 1);
  bad_json.payload = "{oops";
  Event stranger = numbered(0, 2);
  stranger.tenant_id = "no-such-tenant";
  ASSERT_TRUE(w->append(numbered(0, 0)));
  ASSERT_TRUE(w->append(bad_json));
  ASSERT_TRUE(w->append(stranger));
  ASSERT_TRUE(w->append(numbered(0, 3)));
  w->flush();
  EXPECT_EQ(stored(), 2);
  EXPECT_EQ(counter("hotline_event_log_dropped_total"), 2u);
  EXPECT_EQ(counter("hotline_event_log_writes_total"), 2u);
  auto got = reader_->query_events({});
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].event, numbered(0, 0));
  EXPECT_EQ((*got)[1].event, numbered(0, 3));
}

HOTLINE_INSTANTIATE_BACKENDS(EventWriterTest);

}  // namespace
}  // namespace hotline::store
