// Persistence of the SIP registrar's contacts (table sip_contacts, migration 0002)
// on SQLite and PostgreSQL. LocationRepository is the synchronous SQL; the server
// uses it once at start (load) and otherwise through LocationWriter, whose thread
// and connection of its own keep database writes off the control loop.
//
// Thread-safety: LocationRepository is bound to one Database (one thread at a
// time). LocationWriter's upsert()/remove()/flush()/stop() may be called from any
// thread.
// Invariants (LocationWriter): the database ends up as if changes were applied in
// the order they were handed over (within a batch only each row's last change is
// written); each drained batch is one transaction; a batch that fails is logged,
// counted in hotline_sip_location_write_errors_total and dropped (the in-memory
// location service stays authoritative; the next refresh writes the row again).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/metrics.hpp"
#include "store/database.hpp"

namespace hotline::store {

struct ContactRow {
  std::string tenant_id = "default";
  std::string aor;
  std::string contact;
  std::string instance_id;  // empty = NULL
  std::string path;         // empty = NULL
  std::string call_id;
  std::int64_t cseq = 0;
  Timestamp expires_at{};
  std::string transport;  // "UDP", "TCP", "TLS"
  std::string source_address;
  std::int64_t source_port = 0;
  std::string local_address;
  std::int64_t local_port = 0;
  std::string user_agent;  // empty = NULL
  Timestamp updated_at{};

  bool operator==(const ContactRow&) const = default;
};

class LocationRepository {
 public:
  // REQUIRES: `db` is migrated and outlives the repository.
  explicit LocationRepository(Database& db) : db_(db) {}

  // Inserts or replaces the row with the same (tenant, aor, contact).
  Status upsert(const ContactRow& row);
  Status remove(std::string_view tenant, std::string_view aor, std::string_view contact);
  // Deletes every row of `tenant` that expired at or before `now`; returns how many.
  Result<std::int64_t> remove_expired(std::string_view tenant, Timestamp now);
  // The tenant's rows that expire after `now`, ordered by aor then contact.
  Result<std::vector<ContactRow>> load(std::string_view tenant, Timestamp now);

 private:
  Database& db_;
};

class LocationWriter {
 public:
  // REQUIRES: `db` is migrated; `metrics` outlives the writer.
  LocationWriter(std::unique_ptr<Database> db, MetricsRegistry& metrics);
  ~LocationWriter();  // stop()
  LocationWriter(const LocationWriter&) = delete;
  LocationWriter& operator=(const LocationWriter&) = delete;

  // Never block on the database.
  void upsert(ContactRow row);
  void remove(std::string tenant, std::string aor, std::string contact);
  // Blocks until every change handed over before the call is written (or dropped).
  void flush();
  // Writes what is queued, then joins the thread. Idempotent.
  void stop();

 private:
  struct Remove {
    std::string tenant, aor, contact;
  };
  using Change = std::variant<ContactRow, Remove>;
  static void coalesce(std::vector<Change>& batch);

  void push(Change c);
  void run();

  std::unique_ptr<Database> db_;  // the writer thread's only
  Counter& writes_;
  Counter& errors_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable progress_;
  std::deque<Change> queue_;        // guarded by mu_
  std::uint64_t pushed_ = 0;        // guarded by mu_
  std::uint64_t done_ = 0;          // guarded by mu_
  std::uint64_t flush_target_ = 0;  // guarded by mu_: a flush() waits for done_ >= this
  bool stopping_ = false;           // guarded by mu_
  std::thread thread_;
};

}  // namespace hotline::store
