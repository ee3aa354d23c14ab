// LocationRepository and LocationWriter on both back ends: the round trip of a
// contact, replace-on-conflict, removal, expiry on load, and the writer's ordering.
#include "store/location_repository.hpp"

#include <gtest/gtest.h>

#include "store/store.hpp"
#include "store/test_backends.hpp"

namespace hotline::store {
namespace {

using testing::MigratedStoreTest;

Timestamp at(std::int64_t seconds) {
  return from_micros(seconds * 1'000'000);
}

ContactRow row(std::string aor, std::string contact, std::int64_t expires_s) {
  ContactRow r;
  r.aor = std::move(aor);
  r.contact = std::move(contact);
  r.call_id = "cid-" + r.aor;
  r.cseq = 7;
  r.expires_at = at(expires_s);
  r.transport = "UDP";
  r.source_address = "192.0.2.1";
  r.source_port = 5062;
  r.local_address = "127.0.0.1";
  r.local_port = 5060;
  r.updated_at = at(1000);
  return r;
}

using LocationRepositoryTest = MigratedStoreTest;

TEST_P(LocationRepositoryTest, RoundTripReplaceRemoveAndExpiry) {
  LocationRepository repo(store_->database());
  ContactRow a = row("1001", "sip:1001@192.0.2.1:5062", 2000);
  a.instance_id = "<urn:uuid:00000000-0000-0000-0000-000000000001>";
  a.user_agent = "baresip";
  a.path = "<sip:edge.example.com;lr>";
  ASSERT_TRUE(repo.upsert(a));
  ASSERT_TRUE(repo.upsert(row("1002", "sip:1002@192.0.2.2", 1500)));
  ASSERT_TRUE(repo.upsert(row("1003", "sip:1003@192.0.2.3", 900)));  // expired at 1000

  auto loaded = repo.load("default", at(1000));
  ASSERT_TRUE(loaded) << loaded.error().describe();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0], a);
  EXPECT_EQ((*loaded)[1].aor, "1002");

  // Same key: replaced, not duplicated.
  a.cseq = 8;
  a.expires_at = at(3000);
  a.instance_id.clear();
  ASSERT_TRUE(repo.upsert(a));
  loaded = repo.load("default", at(1000));
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0], a);

  ASSERT_TRUE(repo.remove("default", "1002", "sip:1002@192.0.2.2"));
  auto gone = repo.remove_expired("default", at(1000));
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1);  // 1003
  loaded = repo.load("default", at(0));
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].aor, "1001");
  // Other tenants see nothing.
  auto other = repo.load("acme", at(0));
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
}

TEST_P(LocationRepositoryTest, WriterAppliesChangesInOrder) {
  auto db = open_database(url());
  ASSERT_TRUE(db) << db.error().describe();
  MetricsRegistry metrics;
  LocationWriter writer(std::move(*db), metrics);
  for (int i = 0; i < 50; ++i) writer.upsert(row("1001", "sip:a@192.0.2.1", 2000 + i));
  writer.remove("default", "1001", "sip:a@192.0.2.1");
  writer.upsert(row("1001", "sip:b@192.0.2.1", 5000));
  writer.flush();
  LocationRepository repo(store_->database());
  auto loaded = repo.load("default", at(0));
  ASSERT_TRUE(loaded) << loaded.error().describe();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].contact, "sip:b@192.0.2.1");
  writer.stop();
  EXPECT_EQ(metrics.counter("hotline_sip_location_writes_total", "").value(), 52u);
}

TEST_P(LocationRepositoryTest, WriterKeepsTheLastChangeOfEachRow) {
  // Refreshes of two phones interleaved (the writer may see them in one batch and
  // write each row once): the database must hold each row's last change.
  auto db = open_database(url());
  ASSERT_TRUE(db) << db.error().describe();
  MetricsRegistry metrics;
  LocationWriter writer(std::move(*db), metrics);
  for (int i = 0; i < 20; ++i) {
    writer.upsert(row("1001", "sip:a@192.0.2.1", 2000 + i));
    writer.upsert(row("1002", "sip:b@192.0.2.2", 3000 + i));
  }
  writer.remove("default", "1002", "sip:b@192.0.2.2");
  writer.upsert(row("1001", "sip:a@192.0.2.1", 9000));
  writer.remove("default", "1003", "sip:never@192.0.2.3");
  writer.upsert(row("1003", "sip:c@192.0.2.3", 4000));
  writer.flush();
  LocationRepository repo(store_->database());
  auto loaded = repo.load("default", at(0));
  ASSERT_TRUE(loaded) << loaded.error().describe();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].contact, "sip:a@192.0.2.1");
  EXPECT_EQ((*loaded)[0].expires_at, at(9000));
  EXPECT_EQ((*loaded)[1].contact, "sip:c@192.0.2.3");
  writer.stop();
  EXPECT_EQ(metrics.counter("hotline_sip_location_writes_total", "").value(), 44u);
}

HOTLINE_INSTANTIATE_BACKENDS(LocationRepositoryTest);

}  // namespace
}  // namespace hotline::store
