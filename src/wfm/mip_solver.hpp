// A small mixed-integer model handed to COIN-OR CBC: columns, rows, a starting
// solution, a time limit. CBC's console output is switched off. Not thread-safe: one
// model per caller; distinct models may be solved on distinct threads.
#pragma once

#include <span>
#include <vector>

namespace hotline::wfm {

enum class MipStatus {
  kOptimal,     // proved optimal
  kFeasible,    // stopped (time limit) with an integer solution
  kNoSolution,  // no integer solution found (time limit or infeasible)
};

struct MipResult {
  MipStatus status = MipStatus::kNoSolution;
  std::vector<double> values;  // one per column when a solution exists
  double objective = 0;
};

class MipModel {
 public:
  MipModel();
  ~MipModel();
  MipModel(const MipModel&) = delete;
  MipModel& operator=(const MipModel&) = delete;

  // Returns the column index. Minimisation.
  int add_binary(double cost);
  int add_integer(double cost, double lower, double upper);
  int add_continuous(double cost, double lower, double upper);
  // sense: 'L' (<=), 'G' (>=), 'E' (=). Empty rows are skipped.
  void add_row(std::span<const int> cols, std::span<const double> coefs, char sense, double rhs);
  int columns() const { return columns_; }

  // A known integer solution (values of integer columns; others are derived).
  void set_start(std::span<const int> cols, std::span<const double> values);

  MipResult solve(double time_limit_s);

 private:
  // Buffered and handed to CBC in one compressed-column load: adding columns one by
  // one re-sizes CBC's matrix each time.
  struct Column {
    double cost, lower, upper;
    bool integer;
  };
  std::vector<Column> cols_;
  std::vector<double> row_lower_, row_upper_;
  std::vector<int> entry_row_, entry_col_;
  std::vector<double> entry_value_;
  int columns_ = 0;
  std::vector<int> start_cols_;
  std::vector<double> start_values_;
};

}  // namespace hotline::wfm
