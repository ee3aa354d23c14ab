#include "wfm/erlang_a.hpp"

#include <boost/math/special_functions/beta.hpp>
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <vector>

namespace hotline::wfm {
namespace {

namespace bmp = boost::math::policies;
// Errors become values (errno + NaN), never exceptions; plain double is accurate
// enough for the 1e-6 tolerance and much faster than long-double promotion.
using MathPolicy =
    bmp::policy<bmp::domain_error<bmp::errno_on_error>, bmp::pole_error<bmp::errno_on_error>,
                bmp::overflow_error<bmp::errno_on_error>,
                bmp::evaluation_error<bmp::errno_on_error>, bmp::promote_double<false>>;

double ibeta(double p, double q, double x) {
  return boost::math::ibeta(p, q, x, MathPolicy());
}
double ibetac(double p, double q, double x) {
  return boost::math::ibetac(p, q, x, MathPolicy());
}

// log(e^x + e^y) without overflow.
double log_add(double x, double y) {
  if (x == -std::numeric_limits<double>::infinity()) return y;
  if (y == -std::numeric_limits<double>::infinity()) return x;
  const double m = std::max(x, y);
  return m + std::log1p(std::exp(-std::abs(x - y)));
}

// A caller who finds k waiting joins at position k+1; terms are kept while they
// matter to double precision (beyond the mode of the queue-length distribution).
constexpr double kNegligibleLog = -45.0;  // e^-45 ≈ 3e-20 relative to the sum
constexpr long kMaxQueueTerms = 20'000'000;

// Conditional sums over the queue length k found on arrival, weighted by P(k | all busy).
struct QueueSums {
  double answered = 0;        // Σ w P(answered | k)
  double abandoned = 0;       // Σ w P(abandon | k)
  double queue_len = 0;       // Σ w k
  double wait_answered = 0;   // Σ w E[W; answered | k] · θ
  double wait_abandoned = 0;  // Σ w E[W; abandoned | k] · θ
  double answered_within_t = 0;
  double abandoned_within_t = 0;
  double abandoned_within_5s = 0;
};

double abandon_within(double k, double a, double u) {
  // P(T < min(V, t) | k) = E[min(X, u)], X ~ Beta(k+1, a).
  return u * ibetac(k + 1, a, u) + (k + 1) / (a + k + 1) * ibeta(k + 2, a, u);
}

}  // namespace

Result<ErlangAResult> erlang_a(const TrafficLoad& load, int agents, double patience_s,
                               double target_s) {
  if (auto ok = validate(load); !ok) return std::unexpected(ok.error());
  if (agents < 1)
    return fail(ErrorCode::kInvalidArgument, fmt::format("agents must be >= 1, got {}", agents));
  if (!(patience_s > 0))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("patience_s must be > 0, got {}", patience_s));
  if (!std::isfinite(target_s) || target_s < 0)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("target_s must be >= 0, got {}", target_s));

  const double traffic = load.traffic_erlangs();
  ErlangAResult r;
  if (std::isinf(patience_s)) {  // nobody abandons: Erlang C
    auto c = erlang_c(load, agents, target_s);
    if (!c) return std::unexpected(c.error());
    r.p_wait = c->p_wait;
    r.asa_all_s = r.asa_answered_s = c->asa_s;
    r.occupancy = c->occupancy;
    r.avg_queue_len = c->asa_s * load.calls / load.interval_s;
    r.sl_offered = r.sl_answered = r.sl_abandon_in_numerator = r.sl_excl_short_abandon_5s =
        c->service_level;
    return r;
  }
  if (traffic == 0) {
    r.sl_offered = r.sl_answered = r.sl_abandon_in_numerator = r.sl_excl_short_abandon_5s = 1;
    return r;
  }

  const double lambda = load.calls / load.interval_s;
  const double theta = 1.0 / patience_s;
  const double a = agents * patience_s / load.aht_s;  // Nμ/θ
  const double rr = lambda * patience_s;              // λ/θ

  // log of Σ_{j<N} π(j) / π(N) = log(1/B − 1), by the recursion on 1/B (no underflow).
  double inv_b = 1.0;
  for (int k = 1; k <= agents; ++k) inv_b = 1.0 + inv_b * k / traffic;
  const double log_low = std::log(inv_b - 1.0);

  // log t_k, t_k = Π_{i≤k} r/(a+i) = π(N+k)/π(N).
  std::vector<double> log_terms{0.0};
  double log_t = 0.0, log_peak = 0.0;
  for (long k = 1;; ++k) {
    if (k > kMaxQueueTerms)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("erlang A: queue too long to sum (A={}, N={}, patience {} s)",
                              traffic, agents, patience_s));
    log_t += std::log(rr / (a + static_cast<double>(k)));
    log_peak = std::max(log_peak, log_t);
    if (rr < a + static_cast<double>(k) && log_t - log_peak < kNegligibleLog) break;
    log_terms.push_back(log_t);
  }
  double log_queue = -std::numeric_limits<double>::infinity();
  for (double lt : log_terms) log_queue = log_add(log_queue, lt);
  const double log_all = log_add(log_low, log_queue);
  // 1/B overflows only when waiting is far below double resolution: nobody waits.
  const bool all_idle = std::isinf(log_low);
  const double p_wait = all_idle ? 0.0 : std::exp(log_queue - log_all);
  const double p_no_wait = all_idle ? 1.0 : std::exp(log_low - log_all);

  const double u = -std::expm1(-theta * target_s);
  const double u5 = -std::expm1(-theta * 5.0);
  QueueSums s;
  double harmonic = 0;  // Σ_{j=1}^{k+1} 1/(a+j) = ψ(a+k+2) − ψ(a+1)
  double weighted = 0;  // Σ_{j=1}^{k+1} j/(a+j)
  for (std::size_t i = 0; i < log_terms.size(); ++i) {
    const double k = static_cast<double>(i);
    const double w = std::exp(log_terms[i] - log_queue);
    harmonic += 1.0 / (a + k + 1);
    weighted += (k + 1) / (a + k + 1);
    const double p_ans = a / (a + k + 1);
    s.answered += w * p_ans;
    s.abandoned += w * (k + 1) / (a + k + 1);
    s.queue_len += w * k;
    s.wait_answered += w * p_ans * harmonic;
    s.wait_abandoned += w * weighted / (a + k + 1);
    s.answered_within_t += w * p_ans * ibeta(k + 1, a + 1, u);
    s.abandoned_within_t += w * abandon_within(k, a, u);
    s.abandoned_within_5s += w * abandon_within(k, a, u5);
  }

  const double p_answered = p_no_wait + p_wait * s.answered;
  r.p_wait = p_wait;
  r.p_abandon = p_wait * s.abandoned;
  r.avg_queue_len = p_wait * s.queue_len;
  r.asa_all_s = r.avg_queue_len / lambda;
  r.asa_answered_s = p_answered > 0 ? p_wait * s.wait_answered / theta / p_answered : 0;
  r.avg_time_to_abandon_s = r.p_abandon > 0 ? p_wait * s.wait_abandoned / theta / r.p_abandon : 0;
  r.occupancy = traffic * p_answered / agents;
  r.sl_offered = p_no_wait + p_wait * s.answered_within_t;
  r.sl_answered = p_answered > 0 ? r.sl_offered / p_answered : 0;
  r.p_abandon_within_t = p_wait * s.abandoned_within_t;
  r.sl_abandon_in_numerator = r.sl_offered + r.p_abandon_within_t;
  r.p_abandon_within_5s = p_wait * s.abandoned_within_5s;
  r.sl_excl_short_abandon_5s = r.sl_offered / (1.0 - r.p_abandon_within_5s);
  if (!std::isfinite(r.sl_offered) || !std::isfinite(r.asa_answered_s))
    return fail(ErrorCode::kInternal,
                fmt::format("erlang A: numerical failure (A={}, N={}, patience {} s)", traffic,
                            agents, patience_s));
  return r;
}

namespace {

bool meets(const ErlangAResult& r, const ErlangATarget& t) {
  if (t.sl_offered && r.sl_offered < *t.sl_offered) return false;
  if (t.max_p_abandon && r.p_abandon > *t.max_p_abandon) return false;
  if (t.max_asa_answered_s && r.asa_answered_s > *t.max_asa_answered_s) return false;
  if (t.max_occupancy && r.occupancy > *t.max_occupancy) return false;
  return true;
}

Status validate(const ErlangATarget& t) {
  if (!t.sl_offered && !t.max_p_abandon && !t.max_asa_answered_s && !t.max_occupancy)
    return fail(ErrorCode::kInvalidArgument, "erlang A target: set at least one field");
  if (t.sl_offered && !(*t.sl_offered > 0 && *t.sl_offered < 1))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("sl_offered target must be in (0, 1), got {}", *t.sl_offered));
  if (t.max_p_abandon && !(*t.max_p_abandon > 0 && *t.max_p_abandon < 1))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("max_p_abandon must be in (0, 1), got {}", *t.max_p_abandon));
  if (t.max_asa_answered_s && !(*t.max_asa_answered_s > 0))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("max_asa_answered_s must be > 0, got {}", *t.max_asa_answered_s));
  if (t.max_occupancy && !(*t.max_occupancy > 0 && *t.max_occupancy <= 1))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("max_occupancy must be in (0, 1], got {}", *t.max_occupancy));
  if (!std::isfinite(t.target_s) || t.target_s < 0 || t.max_agents < 1)
    return fail(ErrorCode::kInvalidArgument, "target_s must be >= 0 and max_agents >= 1");
  return {};
}

}  // namespace

Result<int> erlang_a_min_agents(const TrafficLoad& load, double patience_s,
                                const ErlangATarget& target) {
  if (auto ok = validate(load); !ok) return std::unexpected(ok.error());
  if (auto ok = validate(target); !ok) return std::unexpected(ok.error());
  if (load.calls == 0) return 0;
  auto ok_at = [&](int n) -> Result<bool> {
    auto r = erlang_a(load, n, patience_s, target.target_s);
    if (!r) return std::unexpected(r.error());
    return meets(*r, target);
  };
  int lo = 0, hi = std::max(1, static_cast<int>(load.traffic_erlangs()));
  for (;;) {  // bracket: ok_at(hi) holds, ok_at(lo) does not (lo = 0 never staffs)
    auto ok = ok_at(hi);
    if (!ok) return std::unexpected(ok.error());
    if (*ok) break;
    lo = hi;
    if (hi >= target.max_agents)
      return fail(
          ErrorCode::kFailedPrecondition,
          fmt::format("no staffing up to {} agents meets the Erlang A target", target.max_agents));
    hi = std::min(target.max_agents, hi * 2);
  }
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    auto ok = ok_at(mid);
    if (!ok) return std::unexpected(ok.error());
    (*ok ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace hotline::wfm
