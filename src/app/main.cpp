// hotline — the command line: serve, check-config, sim, wfm, version.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "app/config.hpp"
#include "app/server.hpp"
#include "app/sim_cli.hpp"
#include "app/wfm_cli.hpp"

namespace {

// Exit codes: 0 success, 1 runtime failure (storage, ports), 2 invalid configuration
// or usage.
constexpr int kExitFailure = 1;
constexpr int kExitConfig = 2;

void print_errors(const hotline::ConfigErrors& errors) {
  for (const auto& e : errors.all()) std::cerr << "error: " << e.to_string() << '\n';
  std::cerr << errors.size() << (errors.size() == 1 ? " error" : " errors") << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"hotline — an open-source contact center"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", HOTLINE_VERSION);

  std::string config_path;
  auto* serve =
      cli.add_subcommand("serve", "Run the server (embedded demo configuration by default)");
  serve->add_option("-c,--config", config_path, "Configuration file (YAML)");

  std::string check_path;
  auto* check = cli.add_subcommand("check-config", "Validate a configuration file and exit");
  check->add_option("file", check_path, "Configuration file (YAML)")->required();

  auto* version = cli.add_subcommand("version", "Print the version and exit");

  hotline::app::WfmCli wfm(cli);

  hotline::app::SimCommand sim_command;
  std::uint64_t sim_seed = 0;
  auto* sim = cli.add_subcommand(
      "sim", "Simulate a contact center (scenario file) through the live routing code");
  sim->add_option("scenario", sim_command.scenario_path, "Scenario file (YAML, docs/acd.md)")
      ->required();
  sim->add_option("--format", sim_command.format, "table (default), csv or json");
  sim->add_option("--report", sim_command.report,
                  "all (default), intervals, queues or agents (csv prints one)");
  auto* seed_option = sim->add_option("--seed", sim_seed, "Random seed (overrides the scenario)");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = cli.exit(e);
    return rc == 0 ? 0 : kExitConfig;
  }

  if (version->parsed()) {
    std::cout << "hotline " << HOTLINE_VERSION << '\n';
    return 0;
  }

  if (sim->parsed()) {
    if (seed_option->count() > 0) sim_command.seed = sim_seed;
    return hotline::app::run_sim_command(sim_command, std::cout, std::cerr);
  }

  if (wfm.parsed()) return wfm.run(std::cout, std::cerr);

  if (check->parsed()) {
    const auto loaded = hotline::app::load_config_file(check_path);
    if (!loaded.config) {
      print_errors(loaded.errors);
      return kExitConfig;
    }
    std::cout << check_path << ": OK\n";
    return 0;
  }

  hotline::app::LoadedConfig loaded = config_path.empty()
                                          ? hotline::app::load_embedded_config()
                                          : hotline::app::load_config_file(config_path);
  if (!loaded.config) {
    print_errors(loaded.errors);
    std::cerr << "hotline: not starting: the configuration has errors\n";
    return kExitConfig;
  }
  hotline::app::Server server(
      std::move(*loaded.config),
      config_path.empty() ? std::nullopt : std::optional<std::string>(config_path));
  const int rc = server.run();
  return rc == 0 ? 0 : kExitFailure;
}
