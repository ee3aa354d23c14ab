// The event log's SQL, written once for both back ends over Database: batched
// multi-row inserts through cached prepared statements, and filtered reads ordered
// by seq. The pattern for later repositories: a class over Database&, one table
// family, one migration that creates it.
//
// Thread-safety: as the Database it wraps (one thread at a time).
#pragma once

#include <span>
#include <vector>

#include "store/database.hpp"
#include "store/store.hpp"

namespace hotline::store {

class EventRepository {
 public:
  explicit EventRepository(Database& db) : db_(db) {}

  // Inserts every event inside the caller's transaction (or each statement in its
  // own, if none is open). Validates before writing anything.
  Status insert(std::span<const Event> events);
  Result<std::vector<StoredEvent>> query(const EventQuery& q);

 private:
  Database& db_;
};

// Checks one event before it is written: tenant and type present, payload not empty.
Status validate_event(const Event& e);

}  // namespace hotline::store
