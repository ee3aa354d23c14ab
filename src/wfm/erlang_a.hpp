// Erlang A (M/M/N+M, Palm's model): callers abandon after an exponential patience.
// Closed form per Garnett, Mandelbaum & Reiman (2002); see docs/wfm.md. Pure; thread-safe.
#pragma once

#include "common/error.hpp"
#include "wfm/erlang_c.hpp"

namespace hotline::wfm {

struct ErlangAResult {
  double p_wait = 0;                    // P(an arriving caller waits > 0)
  double p_abandon = 0;                 // P(the caller abandons)
  double asa_all_s = 0;                 // E[time in queue], all callers (= E[Q]/λ)
  double asa_answered_s = 0;            // E[wait | answered] — the ACD "ASA"
  double avg_time_to_abandon_s = 0;     // E[wait | abandoned]
  double occupancy = 0;                 // carried load per agent: λ(1−p_abandon)·aht / N
  double avg_queue_len = 0;             // E[number waiting]
  double sl_offered = 0;                // P(answered with wait <= t); abandons in denominator
  double sl_answered = 0;               // sl_offered / P(answered)
  double p_abandon_within_t = 0;        // P(abandons with wait <= t)
  double sl_abandon_in_numerator = 0;   // sl_offered + p_abandon_within_t
  double p_abandon_within_5s = 0;       // short abandons
  double sl_excl_short_abandon_5s = 0;  // sl_offered / (1 − p_abandon_within_5s)
};

// Every N ≥ 1 is stable (patience empties the queue). REQUIRES patience_s > 0; an
// infinite patience is Erlang C and then needs N > A.
Result<ErlangAResult> erlang_a(const TrafficLoad& load, int agents, double patience_s,
                               double target_s);

// What an Erlang A staffing must meet; every set field must hold.
struct ErlangATarget {
  std::optional<double> sl_offered;  // P(answered within target_s) >= this, in (0, 1)
  double target_s = 20;
  std::optional<double> max_p_abandon;  // in (0, 1)
  std::optional<double> max_asa_answered_s;
  std::optional<double> max_occupancy;  // in (0, 1]
  int max_agents = 100000;
};

// Smallest N meeting the target (0 for no calls). Each figure is monotone in N, so
// the search brackets by doubling and then bisects.
Result<int> erlang_a_min_agents(const TrafficLoad& load, double patience_s,
                                const ErlangATarget& target);

}  // namespace hotline::wfm
