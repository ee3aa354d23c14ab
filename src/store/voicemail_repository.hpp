// Voicemail messages (table voicemail_messages, migration 0004) on SQLite and
// PostgreSQL: one row per message with its box, caller, time, duration, the path of
// its WAV file and whether it was heard. Every query names the tenant.
//
// Thread-safety: bound to one Database (one thread at a time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/database.hpp"

namespace hotline::store {

struct VoicemailMessage {
  std::int64_t id = 0;  // assigned by add()
  std::string tenant_id = "default";
  std::string box;
  std::string caller;
  std::string call_id;
  Timestamp created_at{};
  std::int64_t duration_ms = 0;
  std::string file_path;
  bool heard = false;

  bool operator==(const VoicemailMessage&) const = default;
};

struct VoicemailQuery {
  std::string tenant_id = "default";
  std::optional<std::string> box;  // absent: every box
  std::optional<bool> heard;       // absent: both
  std::size_t limit = 100;         // newest first
};

inline constexpr std::size_t kMaxVoicemailQueryLimit = 1000;

class VoicemailRepository {
 public:
  // REQUIRES: `db` is migrated and outlives the repository.
  explicit VoicemailRepository(Database& db) : db_(db) {}

  // Stores the message (its id is ignored) and returns the id it got.
  Result<std::int64_t> add(const VoicemailMessage& message);
  // Newest first, at most min(limit, kMaxVoicemailQueryLimit).
  Result<std::vector<VoicemailMessage>> list(const VoicemailQuery& query);
  // kNotFound when the tenant has no message with this id.
  Result<VoicemailMessage> get(std::string_view tenant, std::int64_t id);
  Status mark_heard(std::string_view tenant, std::int64_t id, bool heard = true);
  // kNotFound when there was none. The caller deletes the file.
  Status remove(std::string_view tenant, std::int64_t id);

 private:
  Database& db_;
};

}  // namespace hotline::store
