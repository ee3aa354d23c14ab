#include "api/router.hpp"

#include <gtest/gtest.h>

namespace hotline::api {
namespace {

Handler returning(int status) {
  return [status](const Request&) {
    Response r;
    r.status = status;
    return r;
  };
}

int call(const Router::Match& m) {
  return m.handler ? (*m.handler)(Request{}).status : -1;
}

TEST(Router, ExactPathsAndMethods) {
  Router r;
  r.add("GET", "/a", returning(1));
  r.add("POST", "/a", returning(2));
  EXPECT_EQ(call(r.find("GET", "/a")), 1);
  EXPECT_EQ(call(r.find("POST", "/a")), 2);
  auto wrong = r.find("PUT", "/a");
  EXPECT_EQ(wrong.handler, nullptr);
  EXPECT_TRUE(wrong.path_known);
  EXPECT_EQ(wrong.allowed, (std::vector<std::string>{"GET", "POST", "HEAD"}));
  auto none = r.find("GET", "/b");
  EXPECT_EQ(none.handler, nullptr);
  EXPECT_FALSE(none.path_known);
  EXPECT_FALSE(r.find("GET", "/a/").path_known);
}

TEST(Router, HeadFallsBackToGet) {
  Router r;
  r.add("GET", "/a", returning(1));
  EXPECT_EQ(call(r.find("HEAD", "/a")), 1);
  r.add("HEAD", "/a", returning(3));
  EXPECT_EQ(call(r.find("HEAD", "/a")), 3);
}

TEST(Router, PrefixRoutesLongestWinsAndExactBeatsPrefix) {
  Router r;
  r.add("GET", "/api/v1/*", returning(1));
  r.add("GET", "/api/v1/queues/*", returning(2));
  r.add("GET", "/api/v1/queues/special", returning(3));
  EXPECT_EQ(call(r.find("GET", "/api/v1/agents/7")), 1);
  EXPECT_EQ(call(r.find("GET", "/api/v1/queues/sales")), 2);
  EXPECT_EQ(call(r.find("GET", "/api/v1/queues/special")), 3);
  EXPECT_FALSE(r.find("GET", "/api/v1").path_known) << "the prefix itself is not below it";
  EXPECT_FALSE(r.find("GET", "/api/v10/x").path_known);
}

TEST(Router, LaterAddReplaces) {
  Router r;
  r.add("GET", "/a", returning(1));
  r.add("GET", "/a", returning(2));
  EXPECT_EQ(call(r.find("GET", "/a")), 2);
}

}  // namespace
}  // namespace hotline::api
