// The voicemail API's routes over a real SQLite store (the repository itself is
// tested on both back ends in src/store), and the `voicemail` configuration section.
#include "app/voicemail_api.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "app/config.hpp"
#include "store/store.hpp"
#include "support/test_support.hpp"

namespace hotline::app {
namespace {

class VoicemailApi : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string url = "sqlite:" + (dir_.path() / "hotline.db").string();
    auto s = store::open_store(url);
    ASSERT_TRUE(s) << s.error().describe();
    ASSERT_TRUE((*s)->migrate());
    store_ = std::move(*s);
    auto db = store::open_database(url);
    ASSERT_TRUE(db);
    vm_ = std::make_unique<VoicemailStore>(std::move(*db));
    add_voicemail_routes(router_, *vm_, "default");
  }

  std::int64_t add(const std::string& box, const std::string& caller, std::int64_t at_s) {
    store::VoicemailMessage m;
    m.box = box;
    m.caller = caller;
    m.call_id = "c-1";
    m.created_at = from_micros(at_s * 1'000'000);
    m.duration_ms = 2500;
    m.file_path = (dir_.path() / (box + std::to_string(at_s) + ".wav")).string();
    std::ofstream(m.file_path, std::ios::binary) << "RIFF....WAVE";
    auto id = vm_->add(m);
    EXPECT_TRUE(id);
    return id.value_or(0);
  }

  api::Response call(const std::string& method, const std::string& target) {
    auto parts = api::split_target(target);
    EXPECT_TRUE(parts);
    api::Request req;
    req.method = method;
    req.target = target;
    req.path = parts->path;
    req.query = parts->query;
    auto match = router_.find(method, req.path);
    if (match.handler == nullptr) return api::json_error(405, "no_route", target);
    return (*match.handler)(req);
  }

  hotline::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<VoicemailStore> vm_;
  api::Router router_;
};

TEST_F(VoicemailApi, ListsDownloadsMarksHeardAndDeletes) {
  const auto a = add("general", "+33612345678", 1'700'000'000);
  const auto b = add("1001", "1002", 1'700'000'100);

  auto r = call("GET", "/api/v1/voicemail");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = nlohmann::json::parse(r.body);
  ASSERT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0]["id"], b);  // newest first

  r = call("GET", "/api/v1/voicemail?box=general");
  body = nlohmann::json::parse(r.body);
  ASSERT_EQ(body["messages"].size(), 1u);
  const auto& m = body["messages"][0];
  EXPECT_EQ(m["caller"], "+33612345678");
  EXPECT_EQ(m["duration_s"], 2.5);
  EXPECT_EQ(m["created_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(m["heard"], false);
  EXPECT_EQ(m["audio"], "/api/v1/voicemail/" + std::to_string(a) + "/audio");

  r = call("GET", "/api/v1/voicemail/" + std::to_string(a) + "/audio");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "audio/wav");
  EXPECT_EQ(r.body, "RIFF....WAVE");
  r = call("GET", "/api/v1/voicemail/" + std::to_string(a));
  EXPECT_EQ(nlohmann::json::parse(r.body)["heard"], true);
  r = call("GET", "/api/v1/voicemail?heard=false");
  EXPECT_EQ(nlohmann::json::parse(r.body)["messages"].size(), 1u);

  const auto path = vm_->get("default", a)->file_path;
  r = call("DELETE", "/api/v1/voicemail/" + std::to_string(a));
  EXPECT_EQ(r.status, 204);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(call("GET", "/api/v1/voicemail/" + std::to_string(a)).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/voicemail/" + std::to_string(a)).status, 404);
}

TEST_F(VoicemailApi, RefusesBadParametersAndIds) {
  EXPECT_EQ(call("GET", "/api/v1/voicemail?limit=0").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/voicemail?limit=5000").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/voicemail?heard=maybe").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/voicemail/abc").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/voicemail/-1/audio").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/voicemail/42").status, 404);
  const auto id = add("general", "1001", 1'700'000'000);
  std::filesystem::remove(vm_->get("default", id)->file_path);
  EXPECT_EQ(call("GET", "/api/v1/voicemail/" + std::to_string(id) + "/audio").status, 404);
}

TEST(VoicemailConfig, ReadsDefaultsBoxesAndReportsMistakes) {
  auto loaded = load_config_text(R"(
voicemail:
  max_length: 2m
  silence: 0s
  greeting: { tts: "Leave a message." }
  boxes:
    "1001": { greeting: "Alice is away.", max_length: 30s }
)",
                                 "hotline.yaml");
  ASSERT_TRUE(loaded.config) << loaded.errors.to_string();
  const VoicemailConfig& v = loaded.config->voicemail;
  EXPECT_EQ(v.max_length, std::chrono::minutes(2));
  EXPECT_EQ(v.silence, Duration::zero());
  EXPECT_EQ(v.greeting.tts, "Leave a message.");
  EXPECT_EQ(v.goodbye.tts, "Thank you. Goodbye.");
  ASSERT_TRUE(v.boxes.contains("1001"));
  EXPECT_EQ(v.boxes.at("1001").greeting.tts, "Alice is away.");
  EXPECT_EQ(v.boxes.at("1001").max_length, std::chrono::seconds(30));

  auto bad = load_config_text(R"(
voicemail:
  silense: 3s
  greeting: { tts: "a", file: "b.wav" }
  boxes:
    "../x": {}
    ok: { greeting: { file: missing.wav } }
)",
                              "hotline.yaml");
  ASSERT_FALSE(bad.config);
  const std::string errors = bad.errors.to_string();
  EXPECT_NE(errors.find("unknown key 'silense' (did you mean 'silence'?)"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("exactly one of tts"), std::string::npos) << errors;
  EXPECT_NE(errors.find("a box name may not"), std::string::npos) << errors;
  EXPECT_NE(errors.find("missing.wav' does not exist"), std::string::npos) << errors;
}

}  // namespace
}  // namespace hotline::app
