// chorusd: flags, logging, signals; everything else is server::node.
#include "chorus/core/config.hpp"
#include "chorus/core/fd_table.hpp"
#include "chorus/server/node.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  chorus::core::presize_fd_table();  // first: no other thread exists yet
  try {
    auto parsed = chorus::core::parse_config(argc, argv);
    if (parsed.exit_text) {
      std::fputs(parsed.exit_text->c_str(), stdout);
      return 0;
    }
    spdlog::set_level(spdlog::level::from_str(parsed.cfg.log_level));
    spdlog::flush_on(spdlog::level::info);
    chorus::server::node n(std::move(parsed.cfg));
    return n.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chorusd: %s\n", e.what());
    return 1;
  }
}
