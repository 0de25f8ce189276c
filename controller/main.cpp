// modelrollout-controller: parses flags, sets up logging and signals, and runs the controller
// with the current Reconciler (see controller_app.h for the wiring).
#include <iostream>

#include "common/logging.h"
#include "controller/controller_app.h"
#include "controller/noop_reconciler.h"

int main(int argc, char** argv) {
  using namespace mr::controller;
  auto flags = parseFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.isOk()) {
    std::cerr << flags.status().message() << "\n\n" << helpText(argv[0]);
    return 2;
  }
  if (flags->help) {
    std::cout << helpText(argv[0]);
    return 0;
  }
  if (mr::Status s = mr::setupLogging(flags->log_format, flags->log_level); !s.isOk()) {
    std::cerr << s.toString() << "\n";
    return 2;
  }
  ControllerApp app(*flags);
  handleTerminationSignals([&app] { app.requestStop(); });
  return app.run([](ControllerContext& ctx) -> std::unique_ptr<mr::k8s::Reconciler> {
    return std::make_unique<NoopReconciler>(ctx.runtime);
  });
}
