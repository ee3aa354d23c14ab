#include "api/static_files.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "api/test_client.hpp"
#include "support/test_support.hpp"

namespace hotline::api {
namespace {

namespace fs = std::filesystem;
using namespace hotline::api::testing;
using hotline::testing::TempDir;
using hotline::testing::write_file;

// A web root with an index, an asset, a nested page, and a secret beside the root.
struct WebRoot {
  TempDir tmp;
  fs::path root = tmp / "web";
  WebRoot() {
    write_file(root / "index.html", "<html>app</html>");
    write_file(root / "assets" / "app.js", "console.log(1)");
    write_file(root / "docs" / "index.html", "<html>docs</html>");
    write_file(root / "data.unknownext", "raw");
    write_file(tmp / "secret.txt", "top secret");
  }
};

int status_of(const std::variant<StaticFile, Response>& v) {
  if (const auto* r = std::get_if<Response>(&v)) return r->status;
  return 200;
}

std::string file_of(const std::variant<StaticFile, Response>& v) {
  if (const auto* f = std::get_if<StaticFile>(&v)) return f->path.filename().string();
  return {};
}

TEST(StaticFiles, ServesFilesWithContentTypes) {
  WebRoot w;
  StaticFiles s(w.root.string());
  auto js = s.resolve("/assets/app.js");
  ASSERT_TRUE(std::holds_alternative<StaticFile>(js));
  EXPECT_EQ(std::get<StaticFile>(js).content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(std::get<StaticFile>(js).size, 14u);
  EXPECT_EQ(file_of(s.resolve("/")), "index.html");
  auto docs = s.resolve("/docs");
  ASSERT_TRUE(std::holds_alternative<StaticFile>(docs));
  EXPECT_EQ(std::get<StaticFile>(docs).path, fs::canonical(w.root / "docs" / "index.html"));
  EXPECT_EQ(std::get<StaticFile>(s.resolve("/data.unknownext")).content_type,
            "application/octet-stream");
}

TEST(StaticFiles, ExtensionlessMissingPathsFallBackToIndex) {
  WebRoot w;
  StaticFiles s(w.root.string());
  auto spa = s.resolve("/agents/42");
  ASSERT_TRUE(std::holds_alternative<StaticFile>(spa));
  EXPECT_EQ(std::get<StaticFile>(spa).path, fs::canonical(w.root / "index.html"));
  EXPECT_EQ(status_of(s.resolve("/assets/missing.js")), 404);
  EXPECT_EQ(status_of(s.resolve("/api/v1/unknown")), 404) << "API paths never get the app";
}

TEST(StaticFiles, RefusesTraversal) {
  WebRoot w;
  StaticFiles s(w.root.string());
  for (std::string_view p : {"/../secret.txt", "/assets/../../secret.txt", "/..", "//etc/passwd",
                             "/a\\..\\secret.txt", "/C:/windows", "relative"}) {
    EXPECT_EQ(status_of(s.resolve(p)), 400) << p;
  }
  EXPECT_EQ(status_of(s.resolve(std::string_view("/index.html\0.js", 15))), 400);
}

TEST(StaticFiles, RefusesSymlinksLeadingOutside) {
  WebRoot w;
  fs::create_symlink(w.tmp / "secret.txt", w.root / "leak.txt");
  StaticFiles s(w.root.string());
  EXPECT_EQ(status_of(s.resolve("/leak.txt")), 404);
}

TEST(StaticFiles, DisabledOrMissingRootIs404) {
  EXPECT_EQ(status_of(StaticFiles().resolve("/")), 404);
  EXPECT_EQ(status_of(StaticFiles("/nonexistent/hotline-web").resolve("/")), 404);
}

// Through the server: the bytes on the wire, including encoded traversal that only
// becomes ".." after percent-decoding.
TEST(StaticFilesHttp, ServesFilesFallbackAndRefusesTraversal) {
  WebRoot w;
  HttpOptions o = test_options();
  o.static_dir = w.root.string();
  ServerFixture f(o);
  RawClient c(f.port());

  auto index = c.request(get("/"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->result_int(), 200);
  EXPECT_EQ((*index)[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(index->body(), "<html>app</html>");

  auto js = c.request(get("/assets/app.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->body(), "console.log(1)");

  auto spa = c.request(get("/supervisor/queues"));
  ASSERT_TRUE(spa);
  EXPECT_EQ(spa->result_int(), 200);
  EXPECT_EQ(spa->body(), "<html>app</html>");

  auto head = c.request("HEAD /assets/app.js HTTP/1.1\r\nHost: x\r\n\r\n", true);
  ASSERT_TRUE(head);
  EXPECT_EQ((*head)[http::field::content_length], "14");
  EXPECT_TRUE(head->body().empty());

  auto missing = c.request(get("/assets/nope.css"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result_int(), 404);
  EXPECT_EQ(nlohmann::json::parse(missing->body()).at("error").at("code"), "not_found");

  auto post = c.request("POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->result_int(), 405);

  for (std::string target :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/secret.txt",
        "/assets/..%2fsecret.txt", "/..%5csecret.txt", "//etc/passwd", "/%2fetc/passwd",
        "/index.html%00.js", "/assets/%2e%2e/%2e%2e/secret.txt"}) {
    RawClient t(f.port());
    auto r = t.request(get(target));
    ASSERT_TRUE(r) << target;
    EXPECT_TRUE(r->result_int() == 400 || r->result_int() == 404)
        << target << " -> " << r->result_int();
    EXPECT_EQ(r->body().find("top secret"), std::string::npos) << target;
  }
}

TEST(StaticFilesHttp, StaticDirCanBeChangedAtRuntime) {
  WebRoot a;
  WebRoot b;
  write_file(b.root / "index.html", "<html>v2</html>");
  HttpOptions o = test_options();
  o.static_dir = a.root.string();
  ServerFixture f(o);
  RawClient c(f.port());
  auto before = c.request(get("/"));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->body(), "<html>app</html>");
  f.on_loop([&] { f.server().set_static_dir(b.root.string()); });
  auto after = c.request(get("/"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body(), "<html>v2</html>");
}

}  // namespace
}  // namespace hotline::api
