// The Store on both back ends: migrations, the event log's round trip, filters,
// tenants, and all-or-nothing batches.
#include "store/store.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/migrations.hpp"
#include "store/test_backends.hpp"

namespace hotline::store {
namespace {

using testing::BackendTest;
using ::testing::HasSubstr;

Timestamp at(std::int64_t seconds) {
  return from_micros(seconds * 1'000'000);
}

Event make_event(std::string type, std::int64_t seconds, std::string interaction = "",
                 std::string agent = "", std::string queue = "") {
  Event e;
  e.ts = at(seconds);
  e.type = std::move(type);
  e.interaction_id = std::move(interaction);
  e.agent_id = std::move(agent);
  e.queue_id = std::move(queue);
  e.payload = fmt::format(R"({{"n":{}}})", seconds);
  return e;
}

std::vector<std::string> types_of(const std::vector<StoredEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.event.type);
  return out;
}

class StoreTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto s = open_store(url());
    ASSERT_TRUE(s) << s.error().describe();
    store_ = std::move(*s);
  }
  void migrated() {
    auto m = store_->migrate();
    ASSERT_TRUE(m) << m.error().describe();
  }
  std::int64_t count(std::string_view sql) {
    auto rows = store_->database().query(sql);
    EXPECT_TRUE(rows) << rows.error().describe();
    return rows && !rows->empty() ? rows->int64(0, 0).value_or(-1) : -1;
  }
  Result<std::vector<StoredEvent>> query(EventQuery q) { return store_->query_events(q); }

  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, ReportsItsBackend) {
  EXPECT_EQ(store_->backend(), GetParam() == testing::Backend::kSqlite ? "sqlite" : "postgres");
}

TEST_P(StoreTest, FreshDatabaseMigratesToLatest) {
  auto before = store_->schema_version();
  ASSERT_TRUE(before) << before.error().describe();
  EXPECT_EQ(*before, 0);
  migrated();
  auto after = store_->schema_version();
  ASSERT_TRUE(after) << after.error().describe();
  EXPECT_EQ(*after, latest_schema_version());
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenants WHERE id = 'default'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 0);
}

TEST_P(StoreTest, MigrateTwiceChangesNothing) {
  migrated();
  migrated();
  EXPECT_EQ(count("SELECT COUNT(*) FROM schema_migrations"), latest_schema_version());
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenants"), 1);
  // A second connection sees a current schema too and does nothing.
  auto other = open_store(url());
  ASSERT_TRUE(other) << other.error().describe();
  EXPECT_TRUE((*other)->migrate());
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenants"), 1);
}

TEST_P(StoreTest, RefusesNewerSchema) {
  migrated();
  const int newer = latest_schema_version() + 4;
  auto ins = store_->database().execute(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)",
      {std::int64_t{newer}});
  ASSERT_TRUE(ins) << ins.error().describe();
  auto m = store_->migrate();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(m.error().message,
            fmt::format("database schema version {} is newer than this hotline (knows up to {}); "
                        "upgrade hotline",
                        newer, latest_schema_version()));
}

TEST_P(StoreTest, FailedMigrationLeavesLastGoodVersion) {
  const auto embedded = embedded_migrations();
  std::vector<Migration> list(embedded.begin(), embedded.end());
  const int n = latest_schema_version();
  list.push_back({n + 1, "widgets",
                  "CREATE TABLE widgets (tenant_id TEXT NOT NULL REFERENCES tenants(id), "
                  "id {{SERIAL_PK}}, data {{BLOB}});"});
  list.push_back(
      {n + 2, "broken", "CREATE TABLE gadgets (id INTEGER PRIMARY KEY); THIS IS NOT SQL;"});
  auto m = migrate(store_->database(), list);
  ASSERT_FALSE(m);
  EXPECT_THAT(m.error().message, HasSubstr(fmt::format("migration {} (broken) failed", n + 2)));
  auto v = store_->schema_version();
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, n + 1);
  EXPECT_EQ(store_->database().table_exists("widgets"), true);
  EXPECT_EQ(store_->database().table_exists("gadgets"), false);
  // The binary's own list now knows less than the database holds.
  auto refused = store_->migrate();
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("is newer than this hotline"));
}

TEST(MigrationsTest, EmbeddedMigrationsRenderForBothDialects) {
  const auto all = embedded_migrations();
  ASSERT_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i) + 1);
    for (Dialect d : {Dialect::kSqlite, Dialect::kPostgres}) {
      auto sql = render_migration(all[i].sql, d);
      ASSERT_TRUE(sql) << sql.error().describe();
      EXPECT_EQ(sql->find("{{"), std::string::npos);
    }
  }
  EXPECT_EQ(latest_schema_version(), all.back().version);
}

TEST(MigrationsTest, UnknownTokenIsAnError) {
  auto sql = render_migration("CREATE TABLE t (id {{SERIAL}})", Dialect::kSqlite);
  ASSERT_FALSE(sql);
  EXPECT_THAT(sql.error().message, HasSubstr("unknown dialect token {{SERIAL}}"));
  auto open = render_migration("CREATE TABLE t (id {{SERIAL_PK)", Dialect::kPostgres);
  EXPECT_FALSE(open);
}

TEST_P(StoreTest, EventsRoundTripInOrder) {
  migrated();
  Event full = make_event("interaction.created", 100, "i-1", "a-1", "sales");
  full.payload = R"({"from":"+15551234","tags":["vip"],"note":"naïve ☎"})";
  full.ts = from_micros(1'700'000'000'123'456);
  Event bare = make_event("agent.state", 101);
  ASSERT_TRUE(store_->append_events(std::vector{full, bare}));
  ASSERT_TRUE(store_->append_events(std::vector{make_event("third", 102)}));

  auto got = query({});
  ASSERT_TRUE(got) << got.error().describe();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].event, full);
  EXPECT_EQ((*got)[1].event, bare);
  EXPECT_LT((*got)[0].seq, (*got)[1].seq);
  EXPECT_LT((*got)[1].seq, (*got)[2].seq);
  // Empty ids are stored as NULL, not as empty strings.
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE queue_id IS NULL"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE queue_id = ''"), 0);
}

TEST_P(StoreTest, LargeBatchKeepsOrder) {
  migrated();
  std::vector<Event> batch;
  for (int i = 0; i < 1000 + 64 + 37; ++i) batch.push_back(make_event(fmt::format("e{}", i), i));
  ASSERT_TRUE(store_->append_events(batch));
  EventQuery q;
  q.limit = 5000;
  auto got = query(q);
  ASSERT_TRUE(got) << got.error().describe();
  ASSERT_EQ(got->size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) EXPECT_EQ((*got)[i].event, batch[i]) << i;
}

TEST_P(StoreTest, QueryFilters) {
  migrated();
  ASSERT_TRUE(store_->append_events(std::vector{
      make_event("offered", 10, "i-1", "a-1", "sales"),
      make_event("answered", 20, "i-1", "a-1", "sales"),
      make_event("offered", 30, "i-2", "a-2", "support"),
      make_event("agent.state", 40, "", "a-1", ""),
      make_event("ended", 50, "i-1", "", "sales"),
  }));
  auto types = [&](EventQuery q) {
    auto r = query(q);
    EXPECT_TRUE(r) << r.error().describe();
    return r ? types_of(*r) : std::vector<std::string>{"<error>"};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(types({.type = "offered"}), (V{"offered", "offered"}));
  EXPECT_EQ(types({.interaction_id = "i-1"}), (V{"offered", "answered", "ended"}));
  EXPECT_EQ(types({.agent_id = "a-1"}), (V{"offered", "answered", "agent.state"}));
  EXPECT_EQ(types({.queue_id = "support"}), (V{"offered"}));
  // [from, to): from is included, to is not.
  EXPECT_EQ(types({.from = at(20), .to = at(40)}), (V{"answered", "offered"}));
  EXPECT_EQ(types({.from = at(50)}), (V{"ended"}));
  EXPECT_EQ(types({.to = at(10)}), V{});
  EXPECT_EQ(types({.type = "offered", .queue_id = "sales"}), (V{"offered"}));
  EXPECT_EQ(types({.type = "nothing"}), V{});

  // Paging: limit and after_seq.
  auto page1 = query({.limit = 2});
  ASSERT_TRUE(page1);
  ASSERT_EQ(page1->size(), 2u);
  auto page2 = query({.after_seq = page1->back().seq, .limit = 2});
  ASSERT_TRUE(page2);
  EXPECT_EQ(types_of(*page2), (V{"offered", "agent.state"}));
  auto page3 = query({.after_seq = page2->back().seq, .limit = 2});
  ASSERT_TRUE(page3);
  EXPECT_EQ(types_of(*page3), (V{"ended"}));
}

TEST_P(StoreTest, TenantsAreIsolated) {
  migrated();
  ASSERT_TRUE(
      store_->database().execute("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)",
                                 {std::string("acme"), std::string("Acme Corp"), std::int64_t{0}}));
  Event mine = make_event("offered", 1, "i-1", "a-1", "sales");
  Event theirs = mine;
  theirs.tenant_id = "acme";
  ASSERT_TRUE(store_->append_events(std::vector{mine, theirs, mine}));

  auto def = query({.tenant_id = "default"});
  auto acme = query({.tenant_id = "acme", .interaction_id = "i-1"});
  auto none = query({.tenant_id = "nobody"});
  ASSERT_TRUE(def && acme && none);
  EXPECT_EQ(def->size(), 2u);
  ASSERT_EQ(acme->size(), 1u);
  EXPECT_EQ(acme->front().event.tenant_id, "acme");
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreTest, BatchIsAllOrNothing) {
  migrated();
  Event stranger = make_event("offered", 2);
  stranger.tenant_id = "no-such-tenant";  // violates the foreign key
  auto r = store_->append_events(std::vector{make_event("a", 1), stranger, make_event("c", 3)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 0);

  Event bad_json = make_event("b", 2);
  bad_json.payload = "{not json";
  r = store_->append_events(std::vector{make_event("a", 1), bad_json});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("not valid JSON"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 0);

  // The connection is still usable afterwards.
  ASSERT_TRUE(store_->append_events(std::vector{make_event("a", 1)}));
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), 1);
}

TEST_P(StoreTest, RejectsBadEventsAndQueries) {
  migrated();
  Event no_type = make_event("", 1);
  EXPECT_FALSE(store_->append_events(std::vector{no_type}));
  Event no_tenant = make_event("x", 1);
  no_tenant.tenant_id = "";
  EXPECT_FALSE(store_->append_events(std::vector{no_tenant}));
  EXPECT_TRUE(store_->append_events(std::vector<Event>{}));  // nothing to do

  auto q = query({.tenant_id = ""});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
  q = query({.limit = 0});
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
  q = query({.limit = kMaxEventQueryLimit + 1});
  EXPECT_FALSE(q);
}

TEST_P(StoreTest, AppendBeforeMigrateIsAnError) {
  auto r = store_->append_events(std::vector{make_event("a", 1)});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("events"));
}

HOTLINE_INSTANTIATE_BACKENDS(StoreTest);

}  // namespace
}  // namespace hotline::store
