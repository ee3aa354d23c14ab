// Hands out even RTP ports (RTCP on port+1) from a configured range, round-robin so a
// released port is not reused at once (late packets of an old call must not reach a
// new one). Knows nothing of sockets: the caller binds, and reports ports it could not
// bind (another process holds them) with release(). Thread-safe (one mutex).
//
// Invariants: 1. every port handed out is even and inside [min, max-1];
//             2. a port is never handed out twice without a release() in between;
//             3. in_use() == allocations - releases.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "common/error.hpp"

namespace hotline::media {

class PortAllocator {
 public:
  // REQUIRES: 1024 <= min < max <= 65535; the range holds at least one even pair.
  static Result<PortAllocator> create(std::uint16_t min, std::uint16_t max);
  PortAllocator(PortAllocator&& o) noexcept;

  // The next free even port, or nullopt when every pair is in use.
  std::optional<std::uint16_t> allocate();
  // REQUIRES: `port` came from allocate() and was not released since.
  void release(std::uint16_t port);
  std::size_t in_use() const;
  std::size_t capacity() const { return used_.size(); }

 private:
  PortAllocator(std::uint16_t first, std::size_t pairs) : first_(first), used_(pairs, false) {}
  mutable std::mutex mu_;
  std::uint16_t first_;
  std::vector<bool> used_;  // GUARDED_BY(mu_), one per even port
  std::size_t next_ = 0;    // GUARDED_BY(mu_)
  std::size_t in_use_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace hotline::media
