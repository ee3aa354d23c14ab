#include "sip/location.hpp"

#include <algorithm>

namespace hotline::sip {

std::vector<Binding> LocationService::lookup(std::string_view aor) const {
  std::vector<Binding> out;
  auto it = aors_.find(aor);
  if (it == aors_.end()) return out;
  for (const Binding& b : it->second) {
    if (live(b)) out.push_back(b);
  }
  return out;
}

const Binding* LocationService::find(std::string_view aor, std::string_view contact,
                                     std::string_view instance_id) const {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return nullptr;
  for (const Binding& b : it->second) {
    if (!live(b)) continue;
    if (b.contact == contact || (!instance_id.empty() && b.instance_id == instance_id)) return &b;
  }
  return nullptr;
}

Binding* LocationService::find_mut(std::string_view aor, std::string_view contact,
                                   std::string_view instance_id) {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return nullptr;
  for (Binding& b : it->second) {
    if (b.contact == contact || (!instance_id.empty() && b.instance_id == instance_id)) return &b;
  }
  return nullptr;
}

std::size_t LocationService::count(std::string_view aor) const {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return 0;
  return static_cast<std::size_t>(std::count_if(it->second.begin(), it->second.end(),
                                                [&](const Binding& b) { return live(b); }));
}

std::optional<Binding> LocationService::upsert(Binding b) {
  if (Binding* old = find_mut(b.aor, b.contact, b.instance_id)) {
    std::optional<Binding> replaced;
    if (live(*old)) replaced = *old;
    *old = std::move(b);
    // A contact matched by instance id may now collide with another entry of the
    // same URI: keep invariant 1 by dropping the other one.
    auto& list = aors_.find(old->aor)->second;
    const std::string contact = old->contact;
    const Binding* keep = old;
    std::erase_if(list, [&](const Binding& x) { return &x != keep && x.contact == contact; });
    return replaced;
  }
  auto it = aors_.find(b.aor);
  if (it == aors_.end()) it = aors_.emplace(b.aor, std::vector<Binding>{}).first;
  it->second.push_back(std::move(b));
  return std::nullopt;
}

std::optional<Binding> LocationService::remove(std::string_view aor, std::string_view contact) {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return std::nullopt;
  auto& list = it->second;
  auto b = std::find_if(list.begin(), list.end(),
                        [&](const Binding& x) { return x.contact == contact; });
  if (b == list.end()) return std::nullopt;
  Binding out = std::move(*b);
  list.erase(b);
  if (list.empty()) aors_.erase(it);
  return out;
}

std::vector<Binding> LocationService::remove_all(std::string_view aor) {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return {};
  std::vector<Binding> out = std::move(it->second);
  aors_.erase(it);
  return out;
}

std::vector<Binding> LocationService::expire() {
  std::vector<Binding> out;
  for (auto it = aors_.begin(); it != aors_.end();) {
    auto& list = it->second;
    for (auto b = list.begin(); b != list.end();) {
      if (live(*b)) {
        ++b;
      } else {
        out.push_back(std::move(*b));
        b = list.erase(b);
      }
    }
    it = list.empty() ? aors_.erase(it) : std::next(it);
  }
  return out;
}

bool LocationService::set_reachable(std::string_view aor, std::string_view contact,
                                    bool reachable) {
  Binding* b = find_mut(aor, contact, {});
  if (b == nullptr) return false;
  b->reachable = reachable;
  return true;
}

void LocationService::for_each(const std::function<void(const Binding&)>& fn) const {
  for (const auto& [aor, list] : aors_) {
    for (const Binding& b : list) {
      if (live(b)) fn(b);
    }
  }
}

std::size_t LocationService::size() const {
  std::size_t n = 0;
  for (const auto& [aor, list] : aors_) n += list.size();
  return n;
}

}  // namespace hotline::sip
