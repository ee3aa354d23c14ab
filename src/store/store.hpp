// The storage interface the server codes against: schema migration and the
// append-only event log (DESIGN.md principle 4), on SQLite or PostgreSQL chosen by
// URL. Every row belongs to a tenant (principle 8); every query names one.
//
// Thread-safety: a Store is one connection. REQUIRES: use from one thread at a
// time. Writers that must not block use EventWriter (event_writer.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/database.hpp"

namespace hotline::store {

struct Event {
  std::string tenant_id = "default";
  Timestamp ts{};
  std::string type;
  std::string interaction_id{}, agent_id{}, queue_id{};  // empty = NULL
  std::string payload = "{}";                            // JSON text

  bool operator==(const Event&) const = default;
};

struct StoredEvent {
  std::int64_t seq = 0;  // increases with append order within a database
  Event event;
};

// Filters combine with AND. Results are ordered by seq, at most `limit` of them;
// page with after_seq = the last seq seen.
struct EventQuery {
  std::string tenant_id = "default";
  std::optional<Timestamp> from{}, to{};  // [from, to)
  std::optional<std::string> type{}, interaction_id{}, agent_id{}, queue_id{};
  std::int64_t after_seq = 0;
  std::size_t limit = 1000;
};

// Upper bound on EventQuery::limit: one query never materialises more rows.
inline constexpr std::size_t kMaxEventQueryLimit = 100'000;

class Store {
 public:
  virtual ~Store() = default;

  virtual std::string_view backend() const = 0;  // "sqlite" / "postgres"
  virtual Result<int> schema_version() = 0;      // 0 for an empty database
  virtual Status migrate() = 0;
  // One transaction: all events are stored or none. REQUIRES: a migrated database.
  virtual Status append_events(std::span<const Event> events) = 0;
  virtual Result<std::vector<StoredEvent>> query_events(const EventQuery& q) = 0;

  // The connection, for repositories of later modules (registrar contacts,
  // voicemail, call records) that add their own tables through migrations.
  virtual Database& database() = 0;
};

// The highest schema version this binary knows (from the embedded migrations).
int latest_schema_version();

// "sqlite:var/hotline.db" (relative or absolute; the parent directory is created),
// "sqlite::memory:", "postgres://user:pass@127.0.0.1:5432/db?..." (or postgresql://).
// Unknown scheme, unreachable server (connect timeout 5 s unless the URL sets
// connect_timeout), a file that is not a SQLite database, or a read-only location:
// one clear error each. Does not migrate.
Result<std::unique_ptr<Store>> open_store(const std::string& url);

}  // namespace hotline::store
