// Test-only: reads a reference CSV (header line, comma-separated, no quoting) into
// rows addressable by column name. Included only by *_test.cpp files, so the file
// reading it does never enters the (I/O-free) wfm library.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace hotline::wfm::testing {

class CsvTable {
 public:
  struct Row {
    const CsvTable* table;
    std::vector<std::string> cells;
    const std::string& str(const std::string& col) const { return cells.at(table->index(col)); }
    double num(const std::string& col) const { return std::strtod(str(col).c_str(), nullptr); }
    bool empty(const std::string& col) const { return str(col).empty(); }
  };

  static CsvTable load(const std::filesystem::path& path) {
    CsvTable t;
    std::istringstream in(hotline::testing::read_file(path));
    std::string line;
    std::getline(in, line);
    t.header_ = split(line);
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      t.rows_.push_back(Row{nullptr, split(line)});
    }
    return t;
  }

  std::size_t index(const std::string& col) const {
    for (std::size_t i = 0; i < header_.size(); ++i)
      if (header_[i] == col) return i;
    ADD_FAILURE() << "no column " << col;
    return 0;
  }
  // Rows point back at the table, so hand them out only from a table that stays put.
  std::vector<Row> rows() const {
    auto out = rows_;
    for (auto& r : out) r.table = this;
    return out;
  }
  std::size_t size() const { return rows_.size(); }

 private:
  static std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    std::istringstream s(line);
    while (std::getline(s, cell, ',')) out.push_back(cell);
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
  }
  std::vector<std::string> header_;
  std::vector<Row> rows_;
};

inline std::filesystem::path wfm_testdata(const std::string& name) {
  return hotline::testing::shared_testdata_dir() / "wfm" / name;
}

// The README's tolerance: probabilities relative 1e-6 or absolute 1e-12.
inline void expect_probability(double expected, double actual, const std::string& what) {
  const double tol = std::max(1e-12, 1e-6 * std::abs(expected));
  EXPECT_NEAR(actual, expected, tol) << what;
}
inline void expect_relative(double expected, double actual, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-6 * std::abs(expected)) << what;
}

}  // namespace hotline::wfm::testing
