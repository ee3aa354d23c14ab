// Stage two of the scheduler: breaks and lunch into the chosen shifts, one day at a
// time, so each break lands where the coverage can best spare the agent.
#include <algorithm>
#include <map>

#include "wfm/mip_solver.hpp"
#include "wfm/schedule_internal.hpp"

namespace hotline::wfm::detail {

std::vector<TemplateSlots> template_slots(const ScheduleProblem& p) {
  const int slot_min = p.slot_s / 60;
  std::vector<TemplateSlots> out;
  for (const auto& t : p.templates) {
    TemplateSlots ts;
    ts.length = t.length_min / slot_min;
    ts.gap = t.min_gap_between_breaks_min / slot_min;
    ts.paid_hours = t.paid_hours();
    const int step = t.start_step_min > 0 ? t.start_step_min / slot_min : 1;
    for (int s = t.earliest_start_min / slot_min; s <= t.latest_start_min / slot_min; s += step)
      ts.starts.push_back(s);
    int earliest_free = 0;
    for (const auto& b : t.breaks) {
      BreakWindow w;
      w.length = b.length_min / slot_min;
      w.lo = std::max(b.earliest_after_min / slot_min, earliest_free);
      w.hi = b.latest_after_min / slot_min;
      earliest_free = w.lo + w.length + ts.gap;
      ts.breaks.push_back(w);
    }
    for (int i = static_cast<int>(ts.breaks.size()) - 2; i >= 0; --i)
      ts.breaks[i].hi =
          std::min(ts.breaks[i].hi, ts.breaks[i + 1].hi - ts.breaks[i].length - ts.gap);
    ts.expected_coverage.assign(ts.length, 1.0);
    for (const auto& w : ts.breaks) {
      const double share = 1.0 / (w.hi - w.lo + 1);
      for (int pos = w.lo; pos <= w.hi; ++pos)
        for (int r = pos; r < pos + w.length && r < ts.length; ++r)
          ts.expected_coverage[r] -= share;
    }
    out.push_back(std::move(ts));
  }
  return out;
}

namespace {

// Greedy placement for one shift: each break, in order, where coverage most exceeds
// the requirement, inside bounds that leave room for the breaks after it.
std::vector<int> greedy_positions(const TemplateSlots& ts, int shift_start,
                                  const std::vector<double>& surplus) {
  std::vector<int> pos;
  int earliest = 0;
  const int week = static_cast<int>(surplus.size());
  for (const auto& w : ts.breaks) {
    const int lo = std::max(w.lo, earliest);
    int best = lo;
    double best_score = -1e300;
    for (int p = lo; p <= w.hi; ++p) {
      double score = 0;
      for (int r = p; r < p + w.length; ++r) {
        const int t = shift_start + r;
        score += t < week ? surplus[t] : 1e6;  // past the week: costs nothing
      }
      if (score > best_score + 1e-12) {
        best_score = score;
        best = p;
      }
    }
    pos.push_back(best);
    earliest = best + w.length + ts.gap;
  }
  return pos;
}

}  // namespace

BreakStageResult place_breaks(const ScheduleProblem& p, const std::vector<TemplateSlots>& tmpl,
                              std::vector<ScheduledShift> shifts, double under_weight,
                              double over_weight, double time_limit_s) {
  const int week = static_cast<int>(p.requirement.size());
  const double slot_h = p.slot_s / 3600.0;
  // surplus = coverage − requirement, updated as breaks are fixed.
  std::vector<double> surplus(week);
  for (int t = 0; t < week; ++t) surplus[t] = -p.requirement[t];
  for (const auto& s : shifts)
    for (int t = s.start_slot; t < s.start_slot + s.length_slots && t < week; ++t) surplus[t] += 1;

  BreakStageResult result;
  result.status = SolveStatus::kOptimal;
  auto worse = [&](SolveStatus s) {
    if (static_cast<int>(s) > static_cast<int>(result.status)) result.status = s;
  };
  for (int day = 0; day < 7; ++day) {
    std::vector<std::size_t> today;
    for (std::size_t i = 0; i < shifts.size(); ++i)
      if (shifts[i].day == day && !tmpl[shifts[i].shift_template].breaks.empty())
        today.push_back(i);
    if (today.empty()) continue;

    // Greedy start on a scratch copy of the surplus.
    std::vector<double> scratch = surplus;
    std::vector<std::vector<int>> start_pos;
    for (auto i : today) {
      const auto& ts = tmpl[shifts[i].shift_template];
      start_pos.push_back(greedy_positions(ts, shifts[i].start_slot, scratch));
      for (std::size_t b = 0; b < ts.breaks.size(); ++b)
        for (int r = 0; r < ts.breaks[b].length; ++r) {
          const int t = shifts[i].start_slot + start_pos.back()[b] + r;
          if (t < week) scratch[t] -= 1;
        }
    }

    MipModel mip;
    // z[shift][break] = list of (relative position, column).
    std::vector<std::vector<std::vector<std::pair<int, int>>>> z(today.size());
    std::map<int, std::vector<std::pair<int, double>>> cover;  // slot → (col, −1)
    std::vector<int> start_cols;
    std::vector<double> start_vals;
    for (std::size_t k = 0; k < today.size(); ++k) {
      const auto& sh = shifts[today[k]];
      const auto& ts = tmpl[sh.shift_template];
      z[k].resize(ts.breaks.size());
      for (std::size_t b = 0; b < ts.breaks.size(); ++b) {
        const auto& w = ts.breaks[b];
        std::vector<int> cols;
        std::vector<double> ones;
        for (int pos = w.lo; pos <= w.hi; ++pos) {
          // A small cost for breaking where the requirement is highest: a tie-breaker
          // that keeps breaks out of the peaks where that is free.
          double peak = 0;
          for (int r = pos; r < pos + w.length; ++r) {
            const int t = sh.start_slot + r;
            if (t < week) peak += p.requirement[t];
          }
          const int col = mip.add_binary(1e-4 * over_weight * slot_h * peak);
          z[k][b].push_back({pos, col});
          cols.push_back(col);
          ones.push_back(1.0);
          for (int r = pos; r < pos + w.length; ++r) {
            const int t = sh.start_slot + r;
            if (t < week) cover[t].push_back({col, -1.0});
          }
          if (pos == start_pos[k][b]) {
            start_cols.push_back(col);
            start_vals.push_back(1.0);
          }
        }
        mip.add_row(cols, ones, 'E', 1.0);
      }
      // Order and gap: start(b+1) − start(b) ≥ length(b) + gap.
      for (std::size_t b = 0; b + 1 < ts.breaks.size(); ++b) {
        std::vector<int> cols;
        std::vector<double> coefs;
        for (auto [pos, col] : z[k][b + 1]) {
          cols.push_back(col);
          coefs.push_back(pos);
        }
        for (auto [pos, col] : z[k][b]) {
          cols.push_back(col);
          coefs.push_back(-pos);
        }
        mip.add_row(cols, coefs, 'G', ts.breaks[b].length + ts.gap);
      }
    }
    // surplus_t − Σ breaks covering t = over_t − under_t.
    for (auto& [t, entries] : cover) {
      std::vector<int> cols;
      std::vector<double> coefs;
      for (auto [col, coef] : entries) {
        cols.push_back(col);
        coefs.push_back(coef);
      }
      cols.push_back(mip.add_continuous(under_weight * slot_h, 0, 1e9));
      coefs.push_back(1.0);
      cols.push_back(mip.add_continuous(over_weight * slot_h, 0, 1e9));
      coefs.push_back(-1.0);
      mip.add_row(cols, coefs, 'E', -surplus[t]);
    }
    mip.set_start(start_cols, start_vals);
    const auto solved = mip.solve(time_limit_s / 7);

    std::vector<std::vector<int>> chosen = start_pos;
    if (solved.status == MipStatus::kNoSolution) {
      worse(SolveStatus::kHeuristicOnly);
    } else {
      worse(solved.status == MipStatus::kOptimal ? SolveStatus::kOptimal : SolveStatus::kFeasible);
      for (std::size_t k = 0; k < today.size(); ++k)
        for (std::size_t b = 0; b < z[k].size(); ++b)
          for (auto [pos, col] : z[k][b])
            if (solved.values[col] > 0.5) chosen[k][b] = pos;
    }
    for (std::size_t k = 0; k < today.size(); ++k) {
      auto& sh = shifts[today[k]];
      const auto& t = p.templates[sh.shift_template];
      const auto& ts = tmpl[sh.shift_template];
      for (std::size_t b = 0; b < ts.breaks.size(); ++b) {
        const int start = sh.start_slot + chosen[k][b];
        sh.breaks.push_back({t.breaks[b].name, start, ts.breaks[b].length, t.breaks[b].paid});
        for (int r = 0; r < ts.breaks[b].length; ++r)
          if (start + r < week) surplus[start + r] -= 1;
      }
    }
  }
  result.shifts = std::move(shifts);
  return result;
}

}  // namespace hotline::wfm::detail
