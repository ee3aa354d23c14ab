#include "wfm/mip_solver.hpp"

#include <CbcHeuristic.hpp>
#include <CbcHeuristicLocal.hpp>
#include <CbcModel.hpp>
#include <CglClique.hpp>
#include <CglFlowCover.hpp>
#include <CglGomory.hpp>
#include <CglKnapsackCover.hpp>
#include <CglMixedIntegerRounding2.hpp>
#include <CglProbing.hpp>
#include <OsiClpSolverInterface.hpp>

#include <limits>
#include <memory>
#include <string>

namespace hotline::wfm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

MipModel::MipModel() = default;
MipModel::~MipModel() = default;

int MipModel::add_binary(double cost) {
  return add_integer(cost, 0.0, 1.0);
}

int MipModel::add_integer(double cost, double lower, double upper) {
  cols_.push_back({cost, lower, upper, true});
  return columns_++;
}

int MipModel::add_continuous(double cost, double lower, double upper) {
  cols_.push_back({cost, lower, upper, false});
  return columns_++;
}

void MipModel::add_row(std::span<const int> cols, std::span<const double> coefs, char sense,
                       double rhs) {
  if (cols.empty()) return;
  const int row = static_cast<int>(row_lower_.size());
  row_lower_.push_back(sense == 'L' ? -kInf : rhs);
  row_upper_.push_back(sense == 'G' ? kInf : rhs);
  for (std::size_t i = 0; i < cols.size(); ++i) {
    entry_row_.push_back(row);
    entry_col_.push_back(cols[i]);
    entry_value_.push_back(coefs[i]);
  }
}

void MipModel::set_start(std::span<const int> cols, std::span<const double> values) {
  start_cols_.assign(cols.begin(), cols.end());
  start_values_.assign(values.begin(), values.end());
}

MipResult MipModel::solve(double time_limit_s) {
  MipResult r;
  if (columns_ == 0) {
    r.status = MipStatus::kOptimal;
    return r;
  }
  // Row-wise entries to compressed columns.
  std::vector<CoinBigIndex> start(columns_ + 1, 0);
  for (int c : entry_col_) ++start[c + 1];
  for (int c = 0; c < columns_; ++c) start[c + 1] += start[c];
  std::vector<CoinBigIndex> fill(start.begin(), start.end() - 1);
  std::vector<int> index(entry_col_.size());
  std::vector<double> value(entry_col_.size());
  for (std::size_t e = 0; e < entry_col_.size(); ++e) {
    const auto at = fill[entry_col_[e]]++;
    index[at] = entry_row_[e];
    value[at] = entry_value_[e];
  }
  std::vector<double> lower, upper, cost;
  for (const auto& c : cols_) {
    lower.push_back(c.lower);
    upper.push_back(c.upper);
    cost.push_back(c.cost);
  }

  OsiClpSolverInterface solver;
  solver.loadProblem(columns_, static_cast<int>(row_lower_.size()), start.data(), index.data(),
                     value.data(), lower.data(), upper.data(), cost.data(), row_lower_.data(),
                     row_upper_.data());
  for (int c = 0; c < columns_; ++c)
    if (cols_[c].integer) solver.setInteger(c);
  solver.messageHandler()->setLogLevel(0);
  solver.setHintParam(OsiDoReducePrint, true, OsiHintTry);
  // The root LP of a large model can take longer than the whole budget, and CBC only
  // checks its own limit between nodes: bound the simplex itself too.
  solver.getModelPtr()->setMaximumWallSeconds(time_limit_s > 0 ? time_limit_s : 1e-3);

  // The start as a complete solution: integers fixed to it, the LP fills in the rest.
  std::vector<double> incumbent;
  double incumbent_cost = 0;
  if (!start_cols_.empty()) {
    OsiClpSolverInterface fixed(solver);
    std::vector<double> at(columns_, 0.0);
    for (std::size_t i = 0; i < start_cols_.size(); ++i) at[start_cols_[i]] = start_values_[i];
    for (int c = 0; c < columns_; ++c)
      if (cols_[c].integer) fixed.setColBounds(c, at[c], at[c]);
    fixed.initialSolve();
    if (fixed.isProvenOptimal()) {
      incumbent.assign(fixed.getColSolution(), fixed.getColSolution() + columns_);
      incumbent_cost = fixed.getObjValue();
    }
  }

  CbcModel model(solver);
  model.setLogLevel(0);
  model.messageHandler()->setLogLevel(0);
  model.solver()->messageHandler()->setLogLevel(0);
  // Wall-clock limit, kept by CBC itself: the caller asked for seconds of waiting.
  model.setUseElapsedTime(true);
  model.setMaximumSeconds(time_limit_s > 0 ? time_limit_s : 1e-3);
  CglProbing probing;
  probing.setUsingObjective(true);
  probing.setMaxPass(3);
  probing.setMaxProbe(100);
  probing.setMaxLook(50);
  CglGomory gomory;
  CglKnapsackCover knapsack;
  CglClique clique;
  clique.setStarCliqueReport(false);
  clique.setRowCliqueReport(false);
  CglMixedIntegerRounding2 mir;
  CglFlowCover flow;
  model.addCutGenerator(&probing, -1, "probing");
  model.addCutGenerator(&gomory, -1, "gomory");
  model.addCutGenerator(&knapsack, -1, "knapsack");
  model.addCutGenerator(&clique, -1, "clique");
  model.addCutGenerator(&mir, -1, "mir");
  model.addCutGenerator(&flow, -1, "flow");
  CbcRounding rounding(model);
  model.addHeuristic(&rounding);
  CbcHeuristicLocal local(model);
  model.addHeuristic(&local);
  // No feasibility pump: the caller's start is the first incumbent, and the pump's
  // LP resolves at the root do not look at the time limit (minutes on 500 agents).
  // Root cut passes are bounded for the same reason.
  model.setMaximumCutPassesAtRoot(5);
  if (!incumbent.empty()) model.setBestSolution(incumbent.data(), columns_, incumbent_cost, true);
  model.initialSolve();
  model.branchAndBound();
  const double* best = model.bestSolution();
  if (best == nullptr) return r;
  r.values.assign(best, best + columns_);
  r.objective = model.getObjValue();
  r.status = model.isProvenOptimal() ? MipStatus::kOptimal : MipStatus::kFeasible;
  return r;
}

}  // namespace hotline::wfm
