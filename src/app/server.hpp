// The `hotline serve` process: opens storage (migrating it), starts the HTTP spine
// and the event log writer, and runs the one control loop until SIGTERM/SIGINT.
// SIGHUP re-reads the configuration file and applies what can change live.
//
// Thread-safety: run() owns the control loop on the calling thread; everything
// the loop touches is owned by that thread.
#pragma once

#include <optional>
#include <string>

#include "app/config.hpp"

namespace hotline::app {

class Server {
 public:
  // `config_path` is the file SIGHUP re-reads; nullopt when running on embedded defaults.
  Server(Config config, std::optional<std::string> config_path);
  // Blocks until stopped. Returns the process exit code (0 after a graceful stop).
  int run();

 private:
  Config config_;
  std::optional<std::string> config_path_;
};

}  // namespace hotline::app
