// Event-log append throughput, sustained, through EventWriter (its own thread and
// connection, batches of max_batch in one transaction each) into SQLite (a WAL file
// on disk) and PostgreSQL.
//
//   build/<dir>/src/store/store_bench [--benchmark_filter=...]
//
// SQLite goes to a fresh file under $HOTLINE_BENCH_DIR (default: the working
// directory). PostgreSQL benchmarks run when $HOTLINE_BENCH_PG_URL names a server
// (e.g. one from scripts/pg-test-server); each run uses a fresh schema.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "store/event_writer.hpp"
#include "store/store.hpp"

namespace hotline::store {
namespace {

constexpr int kEventsPerIteration = 200'000;

// A plausible mix: one call's life (created, queued, offered, answered, ended) and
// an agent state change; ids are NULL where they do not apply, as in the live log.
Event sample_event(int n) {
  static const char* const kTypes[] = {"interaction.created", "interaction.queued",
                                       "interaction.offered", "interaction.answered",
                                       "interaction.ended",   "agent.state_changed"};
  const int step = n % 6;
  Event e;
  e.ts = from_micros(1'700'000'000'000'000 + std::int64_t{n} * 1000);
  e.type = kTypes[step];
  if (step != 5) e.interaction_id = fmt::format("i-{:08}", n / 6);
  if (step >= 2) e.agent_id = fmt::format("a-{:03}", (n / 6) % 200);
  if (step != 5) e.queue_id = fmt::format("q-{}", (n / 6) % 10);
  e.payload = fmt::format(R"({{"caller":"+1555{:07}","wait_ms":{},"skill":"sales"}})",
                          n % 9'999'999, n % 60'000);
  return e;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A fresh, migrated database per benchmark run; the URL to open more connections.
struct BenchDb {
  std::string url;
  std::unique_ptr<Store> admin;  // PostgreSQL: owns the schema
  std::string schema;
  std::string error;

  BenchDb(bool postgres, const std::string& name) { init(postgres, name); }
  BenchDb(const BenchDb&) = delete;
  BenchDb& operator=(const BenchDb&) = delete;

  void init(bool postgres, const std::string& name) {
    BenchDb& b = *this;
    if (!postgres) {
      const char* dir = std::getenv("HOTLINE_BENCH_DIR");
      auto path = std::filesystem::path(dir != nullptr ? dir : ".") / (name + ".db");
      for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(path.string() + suffix);
      }
      b.url = "sqlite:" + path.string();
    } else {
      const char* base = std::getenv("HOTLINE_BENCH_PG_URL");
      if (base == nullptr) {
        b.error = "set HOTLINE_BENCH_PG_URL (e.g. from scripts/pg-test-server) to run this";
        return;
      }
      auto opened = open_store(base);
      if (!opened) {
        b.error = opened.error().describe();
        return;
      }
      b.schema = "bench_" + name;
      auto s = (*opened)->database().execute_script(
          fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", b.schema));
      if (!s) {
        b.error = s.error().describe();
        return;
      }
      b.admin = std::move(*opened);
      b.url = fmt::format("{}{}options=-csearch_path%3D{}", base,
                          std::string_view(base).find('?') == std::string_view::npos ? '?' : '&',
                          b.schema);
    }
    auto store = open_store(b.url);
    if (!store) {
      b.error = store.error().describe();
      return;
    }
    if (auto m = (*store)->migrate(); !m) b.error = m.error().describe();
  }
  ~BenchDb() {
    if (admin)
      (void)admin->database().execute_script(fmt::format("DROP SCHEMA {} CASCADE", schema));
  }
};

// Producer appends as fast as it can; the iteration ends when flush() says every
// event is committed. items_per_second is the sustained write rate.
void BM_EventWriter(benchmark::State& state, bool postgres) {
  const auto max_batch = static_cast<std::size_t>(state.range(0));
  BenchDb db(postgres, fmt::format("event_writer_{}", max_batch));
  if (!db.error.empty()) {
    state.SkipWithError(db.error.c_str());
    return;
  }
  auto store = open_store(db.url);
  if (!store) {
    state.SkipWithError(store.error().describe().c_str());
    return;
  }
  MetricsRegistry metrics;
  EventWriter writer(std::move(*store), {.max_batch = max_batch}, metrics);
  std::vector<Event> events;
  events.reserve(kEventsPerIteration);
  int total = 0;
  double cpu_seconds = 0;
  for (auto _ : state) {
    // Fresh events each round (time and ids move on, as in a live log), made
    // outside the measured time.
    state.PauseTiming();
    events.clear();
    for (int i = 0; i < kEventsPerIteration; ++i) events.push_back(sample_event(total + i));
    state.ResumeTiming();
    const double cpu_start = process_cpu_seconds();
    for (Event& e : events) {
      if (!writer.append(std::move(e))) {
        state.SkipWithError("queue full");
        return;
      }
    }
    writer.flush();
    cpu_seconds += process_cpu_seconds() - cpu_start;
    total += kEventsPerIteration;
  }
  writer.stop();
  state.SetItemsProcessed(total);
  // CPU of both threads (producer and writer) per event: the cost, whatever else the
  // machine is doing.
  state.counters["cpu_us_per_event"] = cpu_seconds * 1e6 / std::max(total, 1);
  state.counters["dropped"] =
      static_cast<double>(metrics.counter("hotline_event_log_dropped_total", "").value());
  state.counters["batches"] =
      static_cast<double>(metrics.counter("hotline_event_log_batches_total", "").value());
}

// What the control loop pays per event: append() while the writer drains.
void BM_AppendCall(benchmark::State& state) {
  BenchDb db(false, "append_call");
  auto store = open_store(db.url);
  if (!db.error.empty() || !store) {
    state.SkipWithError("cannot open the database");
    return;
  }
  MetricsRegistry metrics;
  EventWriter writer(std::move(*store), {}, metrics);
  const Event e = sample_event(42);
  for (auto _ : state) benchmark::DoNotOptimize(writer.append(e));
  writer.stop();
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_EventWriter, sqlite, false)
    ->Arg(500)
    ->Arg(2000)
    ->Arg(10000)
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_EventWriter, postgres, true)
    ->Arg(2000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_AppendCall)->Iterations(1'000'000)->UseRealTime();

}  // namespace
}  // namespace hotline::store

int main(int argc, char** argv) {
  hotline::log::init(hotline::log::Level::kWarn, hotline::log::Format::kText);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
