// `hotline wfm erlang|forecast|schedule|validate|adherence`: the planning commands.
// Each reads its files (CSV/JSON), builds the JSON request of app/wfm_ops.hpp (the
// same the REST API takes), runs it and prints a table, CSV or JSON.
//
// Thread-safety: one object per command line, used on the main thread.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <memory>

namespace hotline::app {

class WfmCli {
 public:
  // Registers the `wfm` subcommand and its own subcommands on `parent`.
  explicit WfmCli(CLI::App& parent);
  ~WfmCli();
  WfmCli(const WfmCli&) = delete;
  WfmCli& operator=(const WfmCli&) = delete;

  bool parsed() const;
  // Exit codes: 0 success; 1 valid input that cannot be met (e.g. no finite staffing
  // reaches the target) or a file that cannot be read; 2 invalid input.
  int run(std::ostream& out, std::ostream& err);

  struct Options;

 private:
  CLI::App* wfm_ = nullptr;
  std::unique_ptr<Options> o_;
};

}  // namespace hotline::app
