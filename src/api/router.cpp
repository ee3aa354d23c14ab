#include "api/router.hpp"

namespace hotline::api {

void Router::add(std::string method, std::string path, Handler h) {
  if (path.size() >= 2 && path.ends_with("/*")) {
    path.pop_back();  // keep the trailing '/'
    prefix_[std::move(path)][std::move(method)] = std::move(h);
  } else {
    exact_[std::move(path)][std::move(method)] = std::move(h);
  }
}

const Router::Methods* Router::lookup(std::string_view path) const {
  if (auto it = exact_.find(path); it != exact_.end()) return &it->second;
  const Methods* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& [prefix, methods] : prefix_) {
    if (path.starts_with(prefix) && prefix.size() > best_len) {
      best = &methods;
      best_len = prefix.size();
    }
  }
  return best;
}

Router::Match Router::find(std::string_view method, std::string_view path) const {
  Match m;
  const Methods* methods = lookup(path);
  if (methods == nullptr) return m;
  m.path_known = true;
  for (const auto& [name, h] : *methods) m.allowed.push_back(name);
  if (auto it = methods->find(method); it != methods->end()) {
    m.handler = &it->second;
  } else if (method == "HEAD") {
    if (auto get = methods->find("GET"); get != methods->end()) m.handler = &get->second;
  }
  if (methods->contains("GET") && !methods->contains("HEAD")) m.allowed.push_back("HEAD");
  return m;
}

}  // namespace hotline::api
