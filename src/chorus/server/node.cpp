#include "chorus/server/node.hpp"

#include "chorus/chat/metrics.hpp"
#include "chorus/chat/presence.hpp"
#include "chorus/chat/service.hpp"
#include "chorus/core/clock.hpp"
#include "chorus/gateway/context.hpp"
#include "chorus/gateway/listener.hpp"
#include "chorus/gateway/shard.hpp"
#include "chorus/server/local_fanout.hpp"
#include "chorus/store/postgres/postgres_store.hpp"
#include "chorus/store/sqlite/sqlite_store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <thread>

namespace chorus::server {

namespace net = boost::asio;

struct node::parts {
  core::config cfg;
  chat::metrics metrics;
  chat::presence presence;
  std::unique_ptr<store::threaded_store> store;
  std::vector<std::unique_ptr<gateway::shard>> shards;
  std::unique_ptr<local_fanout> fanout;
  std::unique_ptr<chat::service> chat;
  std::unique_ptr<gateway::context> ctx;
  std::vector<std::shared_ptr<gateway::listener>> listeners;
};


node::node(core::config cfg) : p_(std::make_unique<parts>()) {
  p_->cfg = std::move(cfg);
  auto& c = p_->cfg;
  auto on_batch = [m = &p_->metrics](std::size_t writes, double seconds, bool committed) {
    m->store_batch_writes.Observe(static_cast<double>(writes));
    m->store_batch_seconds.Observe(seconds);
    if (!committed) m->store_failed_batches.Increment();
  };
  if (c.postgres.empty()) {
    store::sqlite::options so;
    so.path = c.db_path;
    so.full_sync = c.sync == core::sqlite_sync::full;
    so.node_id = c.node_id;
    so.batch_max = c.store_batch_max;
    so.on_batch = on_batch;
    p_->store = std::make_unique<store::sqlite::sqlite_store>(so);
  } else {
    store::postgres::options po;
    po.conninfo = c.postgres;
    po.node_id = c.node_id;
    po.batch_max = c.store_batch_max;
    po.on_batch = on_batch;
    p_->store = std::make_unique<store::postgres::postgres_store>(po);
  }

  for (unsigned i = 0; i < c.threads; ++i) p_->shards.push_back(std::make_unique<gateway::shard>(i));
  p_->fanout = std::make_unique<local_fanout>(p_->shards);
  p_->chat = std::make_unique<chat::service>(*p_->store, *p_->fanout, p_->presence, p_->metrics);
  p_->ctx = std::make_unique<gateway::context>(c, *p_->chat, p_->metrics);
  p_->ctx->shards = &p_->shards;
  p_->ctx->started_ms = core::unix_ms();

  // The first acceptor picks the port (it may be 0); the others share it.
  auto at = net::ip::tcp::endpoint(net::ip::make_address(c.listen_address), c.port);
  for (auto& sh : p_->shards) {
    auto l = std::make_shared<gateway::listener>(*p_->ctx, *sh, at);
    at = l->local_endpoint();
    p_->listeners.push_back(std::move(l));
  }
}

node::~node() {
  if (!p_) return;
  // The store goes first: its threads drain and may still run callbacks,
  // which use the chat service and fan-out and post to the (stopped)
  // shards, all of which must still exist then.
  p_->listeners.clear();
  p_->store.reset();
}

int node::run() {
  auto& c = p_->cfg;
  for (auto& sh : p_->shards) sh->start();
  for (auto& l : p_->listeners) l->run();
  p_->ctx->ready = true;
  auto at = p_->listeners.front()->local_endpoint();
  spdlog::info("chorusd listening on http://{}:{} ({} shards, auth {}, store {})", at.address().to_string(),
               at.port(), p_->shards.size(), c.auth == core::auth_mode::open ? "open" : "jwt",
               c.postgres.empty() ? "sqlite " + c.db_path : std::string("postgresql"));

  net::io_context signals_io;
  net::signal_set signals(signals_io, SIGINT, SIGTERM);
  int caught = 0;
  signals.async_wait([&](boost::system::error_code, int sig) { caught = sig; });
  signals_io.run();
  spdlog::info("signal {}: shutting down", caught);

  p_->ctx->ready = false;
  for (auto& l : p_->listeners) l->stop();
  for (auto& sh : p_->shards) {
    auto* s = sh.get();
    s->post([s] { s->close_all(1001, "server shutting down"); });
  }
  // Give sessions a moment to finish their close handshakes.
  auto deadline = core::steady_ms() + 3000;
  for (;;) {
    std::atomic<std::size_t> left{0};
    std::atomic<unsigned> counted{0};
    for (auto& sh : p_->shards) {
      auto* s = sh.get();
      s->post([s, &left, &counted] {
        left += s->session_count();
        ++counted;
      });
    }
    while (counted.load() < p_->shards.size()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (left.load() == 0 || core::steady_ms() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& sh : p_->shards) sh->stop();
  for (auto& sh : p_->shards) sh->join();
  p_->store->flush();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace chorus::server
