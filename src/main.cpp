#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>

#include "cli/cli.h"
#include "host/real_host.h"

int main(int argc, char** argv) {
  std::map<std::string, std::unique_ptr<dh::host::RealHost>> hosts;
  dh::cli::Context context{std::cout, std::cerr,
                           isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr,
                           [&hosts](const std::string& root) -> dh::host::Host& {
                             auto& slot = hosts[root];
                             if (!slot) slot = std::make_unique<dh::host::RealHost>(root);
                             return slot->host();
                           }};
  try {
    return dh::cli::run(argc, argv, context);
  } catch (const std::exception& e) {
    std::cerr << "devbox-harden: internal error: " << e.what()
              << "\nThis is a bug; nothing was left half-written. Please report it with the command you ran.\n";
    return 70;
  }
}
