#include "chorus/server/node.hpp"

#include "chorus/chat/metrics.hpp"
#include "chorus/chat/presence.hpp"
#include "chorus/chat/service.hpp"
#include "chorus/cluster/cluster_fanout.hpp"
#include "chorus/cluster/directory.hpp"
#include "chorus/cluster/peers.hpp"
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
  // The cluster (with --redis): peers, the gRPC server, the directory.
  std::unique_ptr<cluster::peers> peers;
  std::unique_ptr<cluster::peer_server> peer_server;
  std::unique_ptr<cluster::directory> directory;
  std::unique_ptr<cluster::cluster_fanout> cluster_fanout;
  std::unique_ptr<chat::service> chat;
  std::unique_ptr<gateway::context> ctx;
  std::vector<std::shared_ptr<gateway::listener>> listeners;
  // Made before any connection is accepted: they need descriptors too, and
  // a node out of descriptors must still hear SIGTERM.
  net::io_context signals_io{1};
  net::signal_set signals{signals_io, SIGINT, SIGTERM};
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
    auto* m = &p_->metrics;
    so.wal.frames = [m](int frames) { m->sqlite_wal_frames.Set(frames); };
    so.wal.restart = [m] { m->sqlite_wal_restarts.Increment(); };
    so.wal.checkpoint = [m] { m->sqlite_checkpoints.Increment(); };
    so.wal.cap_wait = [m](double seconds) {
      m->sqlite_wal_cap_waits.Increment();
      m->sqlite_wal_cap_wait_seconds.Increment(seconds);
    };
    p_->store = std::make_unique<store::sqlite::sqlite_store>(so);
  } else {
    store::postgres::options po;
    po.conninfo = c.postgres;
    po.node_id = c.node_id;
    po.batch_max = c.store_batch_max;
    po.on_batch = on_batch;
    p_->store = std::make_unique<store::postgres::postgres_store>(po);
  }

  for (unsigned i = 0; i < c.threads; ++i) {
    p_->shards.push_back(std::make_unique<gateway::shard>(i));
    p_->shards.back()->set_sendmsg_seconds(&p_->metrics.sendmsg_seconds(i));
  }
  p_->fanout = std::make_unique<local_fanout>(p_->shards);
  chat::fanout* out = p_->fanout.get();
  if (!c.redis.empty()) {
    p_->peers = std::make_unique<cluster::peers>(c.node_id, p_->metrics);
    p_->peer_server = std::make_unique<cluster::peer_server>(c.advertise + ":" + std::to_string(c.peer_port),
                                                             *p_->fanout, p_->metrics);
    cluster::directory_options d;
    d.host = c.redis.substr(0, c.redis.rfind(':'));
    d.port = std::stoi(c.redis.substr(c.redis.rfind(':') + 1));
    d.node_id = c.node_id;
    d.peer_address = c.advertise + ":" + std::to_string(p_->peer_server->port());
    d.ttl_ms = static_cast<int>(c.node_ttl_ms);
    d.heartbeat_ms = static_cast<int>(c.heartbeat_ms);
    d.presence_cache_ms = static_cast<int>(c.presence_cache_ms);
    auto* peers = p_->peers.get();
    auto* pres = &p_->presence;
    p_->directory = std::make_unique<cluster::directory>(
        d, [peers](const std::vector<cluster::node_info>& live) { peers->update(live); },
        [pres] { return pres->snapshot(); }, p_->metrics.redis_commands, p_->metrics.presence_stale_lookups);
    auto* dir = p_->directory.get();
    p_->presence.on_change = [dir](const std::string& app, const std::string& user, bool online) {
      if (online) dir->user_online(app, user);
      else dir->user_offline(app, user);
    };
    p_->cluster_fanout = std::make_unique<cluster::cluster_fanout>(*p_->fanout, *p_->directory, *p_->peers);
    out = p_->cluster_fanout.get();
  }
  p_->chat = std::make_unique<chat::service>(*p_->store, *out, p_->presence, p_->metrics);
  p_->ctx = std::make_unique<gateway::context>(c, *p_->chat, p_->metrics);
  if (p_->directory) {
    auto* dir = p_->directory.get();
    p_->ctx->health = [dir] { return dir->status(); };
  }

  // The first acceptor picks the port (it may be 0); the others share it.
  auto at = net::ip::tcp::endpoint(net::ip::make_address(c.listen_address), c.port);
  gateway::listener::claim(at);
  for (auto& sh : p_->shards) {
    auto l = std::make_shared<gateway::listener>(*p_->ctx, *sh, at);
    at = l->local_endpoint();
    p_->listeners.push_back(std::move(l));
  }
}

node::~node() {
  if (!p_) return;
  // If run() did not finish (it threw), the shards still run: stop them
  // before anything they use goes away.
  for (auto& sh : p_->shards) sh->stop();
  for (auto& sh : p_->shards) sh->join();
  // The store goes first: its threads drain and may still run callbacks,
  // which use the chat service and fan-out and post to the (stopped)
  // shards, all of which must still exist then.
  p_->listeners.clear();
  p_->store.reset();
  // Then the cluster: nothing routes any more, so the directory (which may
  // still run routing jobs into the peers) goes before the peers.
  p_->presence.on_change = nullptr;
  p_->directory.reset();
  p_->peer_server.reset();
  p_->peers.reset();
}

int node::run() {
  auto& c = p_->cfg;
  for (auto& sh : p_->shards) sh->start();
  for (auto& l : p_->listeners) l->run();
  p_->ctx->ready = true;
  auto at = p_->listeners.front()->local_endpoint();
  spdlog::info("chorusd listening on http://{}:{} ({} shards, auth {}, store {}{})", at.address().to_string(),
               at.port(), p_->shards.size(), c.auth == core::auth_mode::open ? "open" : "jwt",
               c.postgres.empty() ? "sqlite " + c.db_path : std::string("postgresql"),
               p_->peer_server ? ", node " + std::to_string(c.node_id) + ", peers on port " +
                                     std::to_string(p_->peer_server->port())
                               : std::string());

  int caught = 0;
  p_->signals.async_wait([&](boost::system::error_code, int sig) { caught = sig; });
  p_->signals_io.run();
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
