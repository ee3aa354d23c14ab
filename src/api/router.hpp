// Maps (method, decoded path) to a handler: exact paths, plus prefix routes written
// "/api/v1/queues/*" that match everything below the prefix. A known path with the
// wrong method is told apart from an unknown path so the server can answer 405.
//
// Thread-safety: none; routes are added and looked up on the control loop.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.hpp"

namespace hotline::api {

class Router {
 public:
  // REQUIRES: path starts with '/'. A later add() for the same method and path
  // replaces the earlier one.
  void add(std::string method, std::string path, Handler h);

  struct Match {
    const Handler* handler = nullptr;  // null: no handler for this method
    bool path_known = false;           // some method is routed for this path
    std::vector<std::string> allowed;  // methods routed for the path (for Allow:)
  };
  // Exact routes win over prefix routes; the longest prefix wins among prefixes.
  // HEAD falls back to the GET handler (the server drops the body).
  Match find(std::string_view method, std::string_view path) const;

 private:
  using Methods = std::map<std::string, Handler, std::less<>>;
  const Methods* lookup(std::string_view path) const;

  std::map<std::string, Methods, std::less<>> exact_;
  std::map<std::string, Methods, std::less<>> prefix_;  // key ends with '/'
};

}  // namespace hotline::api
