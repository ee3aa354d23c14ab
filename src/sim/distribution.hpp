// Random durations for the simulator (handle time, patience), drawn by inverse
// transform from a caller-owned std::mt19937_64 so results depend only on the seed,
// not on the standard library's distribution implementations.
//
// Thread-safety: plain values; the generator belongs to the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace hotline::sim {

struct Distribution {
  enum class Kind : std::uint8_t {
    kExponential,  // mean `mean`
    kFixed,        // always `mean`
    kEmpirical,    // uniformly one of `samples` (a recorded set of handle times)
    kNever,        // infinite (patience of a caller who never hangs up)
  };
  Kind kind = Kind::kExponential;
  Duration mean{0};
  std::vector<Duration> samples;

  static Distribution exponential(Duration m) { return {Kind::kExponential, m, {}}; }
  static Distribution fixed(Duration m) { return {Kind::kFixed, m, {}}; }
  static Distribution never() { return {Kind::kNever, Duration::zero(), {}}; }
  static Distribution empirical(std::vector<Duration> s) {
    return {Kind::kEmpirical, Duration::zero(), std::move(s)};
  }
};

Status validate(const Distribution& d);

// std::nullopt for kNever.
std::optional<Duration> sample(const Distribution& d, std::mt19937_64& rng);

// Uniform in (0, 1]: never 0, so logarithms stay finite.
double unit_open(std::mt19937_64& rng);

// An exponential draw with the given mean, in seconds.
double exponential_seconds(double mean_seconds, std::mt19937_64& rng);

}  // namespace hotline::sim
