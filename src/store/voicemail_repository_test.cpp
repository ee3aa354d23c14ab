// VoicemailRepository on both back ends: add/get round trip, listing by box and
// heard flag (newest first, limited), marking heard, removal, and tenant isolation.
#include "store/voicemail_repository.hpp"

#include <gtest/gtest.h>

#include "store/store.hpp"
#include "store/test_backends.hpp"

namespace hotline::store {
namespace {

using testing::MigratedStoreTest;

VoicemailQuery query(std::optional<std::string> box = {}, std::optional<bool> heard = {},
                     std::size_t limit = 100, std::string tenant = "default") {
  VoicemailQuery q;
  q.tenant_id = std::move(tenant);
  q.box = std::move(box);
  q.heard = heard;
  q.limit = limit;
  return q;
}

VoicemailMessage message(std::string box, std::string caller, std::int64_t at_s) {
  VoicemailMessage m;
  m.box = std::move(box);
  m.caller = std::move(caller);
  m.call_id = "c-" + std::to_string(at_s);
  m.created_at = from_micros(at_s * 1'000'000);
  m.duration_ms = 4200;
  m.file_path = "var/voicemail/" + m.box + "/" + std::to_string(at_s) + ".wav";
  return m;
}

using VoicemailRepositoryTest = MigratedStoreTest;

TEST_P(VoicemailRepositoryTest, AddGetListHeardRemove) {
  VoicemailRepository repo(store_->database());
  auto a = repo.add(message("general", "+33612345678", 1000));
  auto b = repo.add(message("general", "1002", 2000));
  auto c = repo.add(message("1001", "1003", 1500));
  ASSERT_TRUE(a && b && c);
  EXPECT_NE(*a, *b);

  auto got = repo.get("default", *a);
  ASSERT_TRUE(got) << got.error().describe();
  VoicemailMessage want = message("general", "+33612345678", 1000);
  want.id = *a;
  EXPECT_EQ(*got, want);

  auto general = repo.list(query("general"));
  ASSERT_TRUE(general) << general.error().describe();
  ASSERT_EQ(general->size(), 2u);
  EXPECT_EQ((*general)[0].id, *b);  // newest first
  EXPECT_EQ((*general)[1].id, *a);

  auto all = repo.list(query({}, {}, 2));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, *b);
  EXPECT_EQ((*all)[1].id, *c);

  ASSERT_TRUE(repo.mark_heard("default", *b));
  auto unheard = repo.list(query("general", false));
  ASSERT_TRUE(unheard);
  ASSERT_EQ(unheard->size(), 1u);
  EXPECT_EQ((*unheard)[0].id, *a);
  EXPECT_TRUE(repo.get("default", *b)->heard);

  ASSERT_TRUE(repo.remove("default", *a));
  EXPECT_EQ(repo.get("default", *a).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repo.remove("default", *a).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repo.mark_heard("default", 999999).error().code, ErrorCode::kNotFound);
}

TEST_P(VoicemailRepositoryTest, TenantsSeeOnlyTheirOwnMessages) {
  ASSERT_TRUE(store_->database().execute(
      "INSERT INTO tenants (id, name, created_at) VALUES ('acme', 'Acme', 0)"));
  VoicemailRepository repo(store_->database());
  VoicemailMessage theirs = message("general", "1001", 1000);
  theirs.tenant_id = "acme";
  auto id = repo.add(theirs);
  ASSERT_TRUE(id) << id.error().describe();
  ASSERT_TRUE(repo.add(message("general", "1002", 1000)));

  EXPECT_EQ(repo.get("default", *id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(repo.remove("default", *id).error().code, ErrorCode::kNotFound);
  auto acme = repo.list(query({}, {}, 100, "acme"));
  ASSERT_TRUE(acme);
  ASSERT_EQ(acme->size(), 1u);
  EXPECT_EQ((*acme)[0].caller, "1001");
  EXPECT_EQ(repo.list(query())->size(), 1u);
}

HOTLINE_INSTANTIATE_BACKENDS(VoicemailRepositoryTest);

}  // namespace
}  // namespace hotline::store
