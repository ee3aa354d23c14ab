// open_store() on bad input: every case one clear error, nothing touched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/migrations.hpp"
#include "store/store.hpp"
#include "support/test_support.hpp"

namespace hotline::store {
namespace {

using hotline::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

Error open_error(const std::string& url) {
  auto s = open_store(url);
  EXPECT_FALSE(s) << url << " opened";
  return s ? Error() : s.error();
}

TEST(OpenStoreTest, UnknownSchemeIsRefused) {
  auto e = open_error("mysql://root:pw@localhost/hotline");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.message, HasSubstr("unsupported database URL scheme 'mysql'"));
  EXPECT_THAT(e.message, Not(HasSubstr("pw@")));
}

TEST(OpenStoreTest, MalformedUrlsAreRefused) {
  for (std::string url : {"", "hotline.db", "sqlite:", "sqlite://"}) {
    auto e = open_error(url);
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument) << url;
    EXPECT_THAT(e.message, HasSubstr("sqlite:PATH")) << url;
  }
  auto e = open_error("postgres://h/db?no_such_option=1");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.message, HasSubstr("invalid PostgreSQL URL"));
}

TEST(OpenStoreTest, FileThatIsNotADatabaseIsLeftUntouched) {
  TempDir dir;
  const auto path = dir / "notes.txt";
  std::string text;
  for (int i = 0; i < 200; ++i) text += "this is a text file, not a database\n";
  hotline::testing::write_file(path, text);

  auto e = open_error("sqlite:" + path.string());
  EXPECT_EQ(e.code, ErrorCode::kCorruption);
  EXPECT_THAT(e.message, HasSubstr("is not a SQLite database"));
  EXPECT_THAT(e.message, HasSubstr(path.string()));
  EXPECT_EQ(hotline::testing::read_file(path), text);
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-journal"));
}

TEST(OpenStoreTest, CreatesParentDirectoriesAndUsesWal) {
  TempDir dir;
  const auto path = dir / "a" / "b" / "hotline.db";
  auto s = open_store("sqlite:" + path.string());
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ((*s)->backend(), "sqlite");
  EXPECT_TRUE(std::filesystem::exists(path));
  auto mode = (*s)->database().query("PRAGMA journal_mode");
  ASSERT_TRUE(mode);
  EXPECT_EQ(mode->text(0, 0), "wal");
  auto sync = (*s)->database().query("PRAGMA synchronous");
  ASSERT_TRUE(sync);
  EXPECT_EQ(sync->int64(0, 0), 1);  // NORMAL
  auto fk = (*s)->database().query("PRAGMA foreign_keys");
  ASSERT_TRUE(fk);
  EXPECT_EQ(fk->int64(0, 0), 1);
}

TEST(OpenStoreTest, RelativePathIsUnderTheWorkingDirectory) {
  TempDir dir;
  const auto old = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto s = open_store("sqlite:var/hotline.db");
  std::filesystem::current_path(old);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_TRUE(std::filesystem::exists(dir / "var" / "hotline.db"));
}

TEST(OpenStoreTest, UnwritableLocationsAreRefused) {
  TempDir dir;
  hotline::testing::write_file(dir / "plain-file", "x");
  auto e = open_error("sqlite:" + (dir / "plain-file" / "sub" / "hotline.db").string());
  EXPECT_EQ(e.code, ErrorCode::kIo);
  EXPECT_THAT(e.message, HasSubstr("cannot create directory"));

  // /proc accepts no new files, even from root.
  e = open_error("sqlite:/proc/hotline-test.db");
  EXPECT_EQ(e.code, ErrorCode::kIo);
  EXPECT_THAT(e.message, HasSubstr("cannot open SQLite database '/proc/hotline-test.db'"));

  e = open_error("sqlite:" + dir.path().string());
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.message, HasSubstr("is a directory"));
}

TEST(OpenStoreTest, UnreachablePostgresFailsFastWithoutThePassword) {
  // Port 1 on loopback: nothing listens there, so the connection is refused.
  auto e = open_error("postgres://hotline:s3cret@127.0.0.1:1/hotline?connect_timeout=2");
  EXPECT_EQ(e.code, ErrorCode::kUnavailable);
  EXPECT_THAT(e.message, HasSubstr("cannot connect to PostgreSQL at postgres://hotline:***@"));
  EXPECT_THAT(e.message, Not(HasSubstr("s3cret")));
  EXPECT_THAT(e.message, Not(HasSubstr("\n")));  // one log line
  e = open_error("postgresql://127.0.0.1:1/hotline");
  EXPECT_EQ(e.code, ErrorCode::kUnavailable);
}

TEST(OpenStoreTest, InMemorySqliteWorks) {
  auto s = open_store("sqlite::memory:");
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_TRUE((*s)->migrate());
  Event e;
  e.type = "ping";
  ASSERT_TRUE((*s)->append_events(std::vector{e}));
  auto got = (*s)->query_events({});
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().event, e);
  EXPECT_EQ(latest_schema_version(), embedded_migrations().back().version);
}

}  // namespace
}  // namespace hotline::store
