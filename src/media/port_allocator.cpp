#include "media/port_allocator.hpp"

#include <string>

namespace hotline::media {

Result<PortAllocator> PortAllocator::create(std::uint16_t min, std::uint16_t max) {
  std::uint16_t first = static_cast<std::uint16_t>(min + (min % 2));
  if (min < 1024 || max <= min || first + 1 > max) {
    return fail(ErrorCode::kInvalidArgument, "rtp port range " + std::to_string(min) + "-" +
                                                 std::to_string(max) +
                                                 " holds no even RTP/RTCP pair above 1023");
  }
  std::size_t pairs = (static_cast<std::size_t>(max) - first + 1) / 2;
  return PortAllocator(first, pairs);
}

PortAllocator::PortAllocator(PortAllocator&& o) noexcept
    : first_(o.first_), used_(std::move(o.used_)), next_(o.next_), in_use_(o.in_use_) {}

std::optional<std::uint16_t> PortAllocator::allocate() {
  std::lock_guard lock(mu_);
  for (std::size_t n = 0; n < used_.size(); ++n) {
    std::size_t i = (next_ + n) % used_.size();
    if (!used_[i]) {
      used_[i] = true;
      ++in_use_;
      next_ = (i + 1) % used_.size();
      return static_cast<std::uint16_t>(first_ + 2 * i);
    }
  }
  return std::nullopt;
}

void PortAllocator::release(std::uint16_t port) {
  std::lock_guard lock(mu_);
  if (port < first_ || (port - first_) % 2 != 0) return;
  std::size_t i = (port - first_) / 2;
  if (i < used_.size() && used_[i]) {
    used_[i] = false;
    --in_use_;
  }
}

std::size_t PortAllocator::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

}  // namespace hotline::media
