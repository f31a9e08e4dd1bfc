#include "chorus/cluster/peers.hpp"

#include "peer.grpc.pb.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <thread>

namespace chorus::cluster {

namespace {
constexpr std::size_t max_batch = 512;
constexpr std::size_t max_queue = 100000;  // past this a slow peer loses pushes (sync recovers them)
constexpr auto call_deadline = std::chrono::seconds(2);
}  // namespace

class peer_link {
 public:
  peer_link(unsigned self, node_info n, chat::metrics& m)
      : self_(self),
        node_(std::move(n)),
        metrics_(m),
        stub_(peer::Peer::NewStub(grpc::CreateChannel(node_.peer_address, grpc::InsecureChannelCredentials()))) {
    thread_ = std::thread([this] { loop(); });
  }
  ~peer_link() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  const node_info& node() const noexcept { return node_; }

  void push(peer::Delivery d) {
    std::lock_guard lock(mu_);
    if (deliveries_.size() + memberships_.size() >= max_queue) {
      metrics_.peer_send_failures.Increment();
      return;
    }
    deliveries_.push_back(std::move(d));
    cv_.notify_one();
  }
  void push(peer::Membership m) {
    std::lock_guard lock(mu_);
    memberships_.push_back(std::move(m));
    cv_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      peer::Batch batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !deliveries_.empty() || !memberships_.empty(); });
        if (stopping_) return;
        // Memberships first: a room joined before a message must be indexed before it.
        while (!memberships_.empty()) {
          *batch.add_memberships() = std::move(memberships_.front());
          memberships_.pop_front();
        }
        while (!deliveries_.empty() && static_cast<std::size_t>(batch.deliveries_size()) < max_batch) {
          *batch.add_deliveries() = std::move(deliveries_.front());
          deliveries_.pop_front();
        }
      }
      batch.set_from_node(self_);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + call_deadline);
      peer::Ack ack;
      auto st = stub_->Deliver(&ctx, batch, &ack);
      if (st.ok()) {
        metrics_.peer_deliveries_sent.Increment(batch.deliveries_size());
      } else {
        metrics_.peer_send_failures.Increment(batch.deliveries_size() + batch.memberships_size());
        spdlog::warn("peer node {} ({}): batch of {} lost: {} (sync recovers it)", node_.id, node_.peer_address,
                     batch.deliveries_size(), st.error_message());
      }
    }
  }

  unsigned self_;
  node_info node_;
  chat::metrics& metrics_;
  std::unique_ptr<peer::Peer::Stub> stub_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<peer::Delivery> deliveries_;
  std::deque<peer::Membership> memberships_;
  bool stopping_ = false;
  std::thread thread_;
};

peers::peers(unsigned self, chat::metrics& m) : self_(self), metrics_(m) {}

peers::~peers() = default;

void peers::update(const std::vector<node_info>& live) {
  std::lock_guard lock(mu_);
  for (auto it = links_.begin(); it != links_.end();) {
    bool alive = std::any_of(live.begin(), live.end(), [&](const node_info& n) {
      return n.id == it->first && n.peer_address == it->second->node().peer_address;
    });
    it = alive ? std::next(it) : links_.erase(it);
  }
  for (auto& n : live)
    if (!links_.contains(n.id)) {
      spdlog::info("peer node {} at {}", n.id, n.peer_address);
      links_.emplace(n.id, std::make_shared<peer_link>(self_, n, metrics_));
    }
}

std::shared_ptr<peer_link> peers::link_to(unsigned node) {
  std::lock_guard lock(mu_);
  auto it = links_.find(node);
  return it == links_.end() ? nullptr : it->second;
}

void peers::send(unsigned node, std::shared_ptr<const chat::delivery> d) {
  auto link = link_to(node);
  if (!link) return;
  peer::Delivery p;
  p.set_kind(static_cast<std::uint32_t>(d->what));
  p.set_app(d->app);
  p.set_conv(d->conv);
  p.set_seq(d->seq);
  p.set_room(d->room);
  p.set_from(d->from);
  p.set_to(d->to);
  p.set_frame(*d->frame);
  link->push(std::move(p));
}

void peers::send(unsigned node, std::shared_ptr<const chat::membership_change> c) {
  auto link = link_to(node);
  if (!link) return;
  peer::Membership m;
  m.set_app(c->app);
  m.set_room(c->room);
  m.set_user(c->user);
  m.set_joined(c->joined);
  m.set_joined_seq(c->joined_seq);
  link->push(std::move(m));
}

// gRPC's threads run Deliver; the shards get the work by post.
struct peer_server::impl final : peer::Peer::Service {
  impl(chat::fanout& l, chat::metrics& m) : local(l), metrics(m) {}

  grpc::Status Deliver(grpc::ServerContext*, const peer::Batch* b, peer::Ack* ack) override {
    // Counted before the shards see them: a client that got one may read the
    // counter and must find it counted.
    metrics.peer_deliveries_received.Increment(b->deliveries_size());
    for (auto& m : b->memberships())
      local.membership(std::make_shared<chat::membership_change>(
          chat::membership_change{m.app(), m.room(), m.user(), m.joined(), m.joined_seq()}));
    for (auto& p : b->deliveries()) {
      auto d = std::make_shared<chat::delivery>();
      d->what = p.kind() == 1 ? chat::delivery::kind::event : chat::delivery::kind::message;
      d->app = p.app();
      d->conv = p.conv();
      d->seq = p.seq();
      d->room = p.room();
      d->from = p.from();
      d->to = p.to();
      d->frame = std::make_shared<const std::string>(p.frame());
      local.publish(std::move(d));
    }
    ack->set_accepted(static_cast<std::uint32_t>(b->deliveries_size()));
    return grpc::Status::OK;
  }

  chat::fanout& local;
  chat::metrics& metrics;
  std::unique_ptr<grpc::Server> server;
};

peer_server::peer_server(const std::string& address, chat::fanout& local, chat::metrics& m)
    : impl_(std::make_unique<impl>(local, m)) {
  grpc::ServerBuilder b;
  b.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  b.RegisterService(impl_.get());
  impl_->server = b.BuildAndStart();
  if (!impl_->server || port_ == 0) throw std::runtime_error("cannot listen for peers on " + address);
}

peer_server::~peer_server() {
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace chorus::cluster
