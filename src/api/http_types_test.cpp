#include "api/http_types.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hotline::api {
namespace {

TEST(HttpTypes, JsonErrorShape) {
  Response r = json_error(404, "not_found", "no route for GET /x \"quoted\"");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(
      j, (nlohmann::json{
             {"error", {{"code", "not_found"}, {"message", "no route for GET /x \"quoted\""}}}}));
}

TEST(HttpTypes, JsonErrorSurvivesInvalidUtf8) {
  Response r = json_error(400, "bad", std::string("\xff\xfe", 2));
  EXPECT_TRUE(nlohmann::json::accept(r.body));
}

TEST(HttpTypes, HeaderLookupIsCaseInsensitive) {
  Request req;
  req.headers = {{"Content-Type", "a"}, {"X-Two", "1"}, {"x-two", "2"}};
  EXPECT_EQ(req.header("content-type"), "a");
  EXPECT_EQ(req.header("X-TWO"), "1");
  EXPECT_EQ(req.header("missing"), "");
}

TEST(HttpTypes, PercentDecode) {
  EXPECT_EQ(percent_decode("/a%20b%2Fc"), "/a b/c");
  EXPECT_EQ(percent_decode("plus+stays"), "plus+stays");
  EXPECT_EQ(percent_decode("%2e%2E"), "..");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("a%00b"));
}

TEST(HttpTypes, SplitTarget) {
  auto a = split_target("/x%20y?q=1&r=%20");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->path, "/x y");
  EXPECT_EQ(a->query, "q=1&r=%20");
  auto b = split_target("http://example.com:8080/p?x");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->path, "/p");
  EXPECT_EQ(b->query, "x");
  auto c = split_target("HTTPS://example.com");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->path, "/");
  auto d = split_target("http://example.com?z");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->path, "/");
  EXPECT_EQ(d->query, "z");
  EXPECT_FALSE(split_target(""));
  EXPECT_FALSE(split_target("*"));
  EXPECT_FALSE(split_target("ftp://h/x"));
  EXPECT_FALSE(split_target("/bad%zz"));
}

}  // namespace
}  // namespace hotline::api
