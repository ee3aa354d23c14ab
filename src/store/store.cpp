#include "store/store.hpp"

#include "store/event_repository.hpp"
#include "store/migrations.hpp"

namespace hotline::store {
namespace {

// One Store over any Database: the SQL is portable, the dialect lives below.
class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<Database> db) : db_(std::move(db)), events_(*db_) {}

  std::string_view backend() const override { return to_string(db_->dialect()); }
  Result<int> schema_version() override { return current_schema_version(*db_); }
  Status migrate() override { return store::migrate(*db_); }

  Status append_events(std::span<const Event> events) override {
    if (events.empty()) return {};
    auto tx = Transaction::begin(*db_);
    if (!tx) return std::unexpected(tx.error());
    if (auto s = events_.insert(events); !s) return s;
    return tx->commit();
  }

  Result<std::vector<StoredEvent>> query_events(const EventQuery& q) override {
    return events_.query(q);
  }

  Database& database() override { return *db_; }

 private:
  std::unique_ptr<Database> db_;
  EventRepository events_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_store(const std::string& url) {
  auto db = open_database(url);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<Store>(std::make_unique<SqlStore>(std::move(*db)));
}

}  // namespace hotline::store
