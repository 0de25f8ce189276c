// kubectl-modelrollout: the kubectl plugin for ModelRollouts. Install by copying the binary to
// a directory on PATH; `kubectl modelrollout ...` then runs it (docs/plugin.md).
#include <unistd.h>

#include <iostream>

#include "plugin/cluster_connection.h"
#include "plugin/plugin_args.h"
#include "plugin/plugin_commands.h"

int main(int argc, char** argv) {
  using namespace mr::plugin;
  auto args = parseArgs(std::vector<std::string>(argv + 1, argv + argc));
  if (!args.isOk()) {
    std::cerr << "error: " << args.status().message() << "\n\n" << usage();
    return exit_code::kError;
  }
  if (args->command == "help") {
    std::cout << usage();
    return exit_code::kOk;
  }
  try {
    auto connection = connectToCluster(args->connection, args->ns);
    if (!connection.isOk()) {
      std::cerr << "error: " << connection.status().message() << "\n";
      return exit_code::kError;
    }
    PluginCommands commands(*connection->api, mr::RealClock::instance(), std::cout, std::cerr,
                            isatty(STDOUT_FILENO) == 1);
    return commands.run(*args, connection->ns);
  } catch (const std::exception& e) {
    // Last-resort edge: the client libraries are meant to turn their exceptions into Status.
    std::cerr << "error: " << e.what() << "\n";
    return exit_code::kError;
  }
}
