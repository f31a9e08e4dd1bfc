// A chorusd node: builds the parts from the configuration in dependency order
// (store, shards, fan-out, chat service, gateway) and tears them down in
// reverse. run() blocks until SIGINT/SIGTERM, then shuts down gracefully:
// stop accepting, close sessions with "going away", flush the store.
#pragma once

#include "chorus/core/config.hpp"

#include <memory>

namespace chorus::server {

class node {
 public:
  explicit node(core::config cfg);  // opens the store and binds; throws on failure
  ~node();
  int run();

 private:
  struct parts;
  std::unique_ptr<parts> p_;
};

}  // namespace chorus::server
