#include "sim/distribution.hpp"

#include <cmath>
#include <optional>

namespace hotline::sim {

Status validate(const Distribution& d) {
  switch (d.kind) {
    case Distribution::Kind::kExponential:
    case Distribution::Kind::kFixed:
      if (d.mean < Duration::zero()) {
        return fail(ErrorCode::kInvalidArgument, "distribution mean must be >= 0");
      }
      return {};
    case Distribution::Kind::kEmpirical:
      if (d.samples.empty()) {
        return fail(ErrorCode::kInvalidArgument, "empirical distribution has no samples");
      }
      for (Duration s : d.samples) {
        if (s < Duration::zero()) {
          return fail(ErrorCode::kInvalidArgument, "empirical sample must be >= 0");
        }
      }
      return {};
    case Distribution::Kind::kNever: return {};
  }
  return fail(ErrorCode::kInvalidArgument, "unknown distribution kind");
}

double unit_open(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 1.0) * 0x1.0p-53;
}

double exponential_seconds(double mean_seconds, std::mt19937_64& rng) {
  return -mean_seconds * std::log(unit_open(rng));
}

std::optional<Duration> sample(const Distribution& d, std::mt19937_64& rng) {
  switch (d.kind) {
    case Distribution::Kind::kExponential: {
      const double mean_us = static_cast<double>(d.mean.count());
      return Duration(static_cast<std::int64_t>(-mean_us * std::log(unit_open(rng))));
    }
    case Distribution::Kind::kFixed: return d.mean;
    case Distribution::Kind::kEmpirical: return d.samples[rng() % d.samples.size()];
    case Distribution::Kind::kNever: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace hotline::sim
