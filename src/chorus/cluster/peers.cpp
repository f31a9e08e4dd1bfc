#include "chorus/cluster/peers.hpp"

#include "chorus/core/thread_name.hpp"

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
}  // namespace

class peer_link {
 public:
  peer_link(unsigned self, node_info n, chat::metrics& m)
      : self_(self),
        node_(std::move(n)),
        metrics_(m),
        stub_(peer::Peer::NewStub(grpc::CreateCustomChannel(node_.peer_address, grpc::InsecureChannelCredentials(),
                                                            channel_args()))) {
    thread_ = std::thread([this] {
      core::name_this_thread("peer-" + std::to_string(node_.id));
      loop();
    });
  }
  ~peer_link() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      // A Write blocked on a peer that stopped reading returns now.
      if (call_) call_->TryCancel();
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
  // A peer that stops answering (not closing) is found by keepalive pings
  // within ~keepalive_time + keepalive_timeout; its stream then fails.
  static grpc::ChannelArguments channel_args() {
    grpc::ChannelArguments a;
    a.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    a.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    a.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    return a;
  }

  // One stream for as long as it works: a batch is one message on it, not a
  // call (no call setup, headers or trailers per batch). A write fails when
  // the stream broke (the peer restarted, or died): the batch is written
  // again once on a new stream if the broken one had worked (a restarted
  // peer gets it; a copy the peer did read is dropped by its inboxes, which
  // keep each conversation's order by convSeq); else it is dropped and
  // counted, and the next batch tries a new stream.
  void loop() {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientWriter<peer::Batch>> stream;
    bool stream_worked = false;
    peer::Ack ack;
    bool failing = false;  // log a failure once per streak, not per batch
    auto open = [&] {
      {
        std::lock_guard lock(mu_);
        ctx = std::make_unique<grpc::ClientContext>();
        call_ = ctx.get();
        if (stopping_) ctx->TryCancel();
      }
      // Not under mu_: starting the call can wait for the channel to
      // connect, and push() (the directory thread) must never wait for that.
      // The destructor may cancel it meanwhile (TryCancel is thread-safe).
      stream = stub_->Stream(ctx.get(), &ack);
      stream_worked = false;
    };
    auto close = [&] {
      auto st = stream->Finish();
      std::lock_guard lock(mu_);
      stream.reset();
      call_ = nullptr;
      ctx.reset();
      return st;
    };
    for (;;) {
      peer::Batch batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !deliveries_.empty() || !memberships_.empty(); });
        if (stopping_) break;
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
      if (!stream) open();
      bool ok = stream->Write(batch);
      if (!ok && stream_worked) {
        close();
        open();
        ok = stream->Write(batch);
      }
      if (ok) {
        metrics_.peer_deliveries_sent.Increment(batch.deliveries_size());
        metrics_.peer_batches_sent.Increment();
        stream_worked = true;
        failing = false;
        continue;
      }
      metrics_.peer_send_failures.Increment(batch.deliveries_size() + batch.memberships_size());
      auto st = close();
      if (!failing)
        spdlog::warn("peer node {} ({}): batch of {} lost: {} (sync recovers it)", node_.id, node_.peer_address,
                     batch.deliveries_size(), st.error_message());
      failing = true;
    }
    // Stopping: the link goes with its node, or the process ends; what is
    // still queued is dropped like a failed batch (sync recovers it).
    if (stream) {
      stream->WritesDone();
      close();  // prompt: the destructor cancelled the call
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
  grpc::ClientContext* call_ = nullptr;  // the open stream's, to cancel it (under mu_)
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

// The server side runs on gRPC's asynchronous API, on a thread of its own
// ("peer-in") that waits on the completion queue: that wait polls the
// connections itself, so a batch is read, parsed and handed to the shards
// (by post) on the thread that was woken for it. gRPC's callback API, used
// before, ran the reactions on its "nexting" threads, woken in turn by
// gRPC's pollers: a profile of 3 nodes at 5,000 msgs/s put those threads at
// ~15% of the box, half of it in the kernel switching them.
struct peer_server::impl {
  impl(chat::fanout& l, chat::metrics& m) : local(l), metrics(m) {}

  // One call in progress; `proceed` is its completion (the queue's tag).
  struct call {
    virtual ~call() = default;
    virtual void proceed(bool ok) = 0;
  };

  // A stream (one per peer node): reads batch after batch until the sender
  // ends it or it breaks, then answers how many deliveries it read.
  struct stream_call final : call {
    explicit stream_call(impl& s) : server(s) {
      server.service.RequestStream(&ctx, &reader, server.cq.get(), server.cq.get(), this);
    }
    void proceed(bool ok) override {
      switch (state) {
        case state_t::requested:
          if (!ok) return delete this;  // shutting down
          server.accept<stream_call>();
          state = state_t::reading;
          if (!server.if_running([&] { reader.Read(&batch, this); })) delete this;
          return;
        case state_t::reading:
          if (!ok) {  // ended or broken
            ack.set_accepted(static_cast<std::uint32_t>(accepted));
            state = state_t::finishing;
            if (!server.if_running([&] { reader.Finish(ack, grpc::Status::OK, this); })) delete this;
            return;
          }
          accepted += server.handle(batch);
          if (!server.if_running([&] { reader.Read(&batch, this); })) delete this;
          return;
        case state_t::finishing:
          return delete this;
      }
    }
    enum class state_t { requested, reading, finishing } state = state_t::requested;
    impl& server;
    grpc::ServerContext ctx;
    grpc::ServerAsyncReader<peer::Ack, peer::Batch> reader{&ctx};
    peer::Batch batch;
    peer::Ack ack;
    std::uint64_t accepted = 0;
  };

  // One batch per call (what nodes before the stream sent).
  struct deliver_call final : call {
    explicit deliver_call(impl& s) : server(s) {
      server.service.RequestDeliver(&ctx, &batch, &responder, server.cq.get(), server.cq.get(), this);
    }
    void proceed(bool ok) override {
      if (answered || !ok) return delete this;
      server.accept<deliver_call>();
      ack.set_accepted(static_cast<std::uint32_t>(server.handle(batch)));
      answered = true;
      if (!server.if_running([&] { responder.Finish(ack, grpc::Status::OK, this); })) delete this;
    }
    impl& server;
    grpc::ServerContext ctx;
    grpc::ServerAsyncResponseWriter<peer::Ack> responder{&ctx};
    peer::Batch batch;
    peer::Ack ack;
    bool answered = false;
  };

  // Waits for the next call of that kind, unless the server is stopping.
  template <class Call>
  void accept() {
    if_running([&] { new Call(*this); });
  }
  // Starts an operation on the queue unless the server is stopping: the
  // destructor shuts the queue down right after the server, while this
  // thread may still be finishing calls the server cancelled, and nothing
  // may reach a queue that is shut down. False: not started (the caller
  // lets go of its call, which has nothing pending then).
  template <class Start>
  bool if_running(Start&& start) {
    std::lock_guard lock(stop_mu);
    if (stopping) return false;
    start();
    return true;
  }

  void loop() {
    core::name_this_thread("peer-in");
    void* tag = nullptr;
    bool ok = false;
    while (cq->Next(&tag, &ok)) static_cast<call*>(tag)->proceed(ok);
  }

  std::size_t handle(const peer::Batch& b) {
    // Counted before the shards see them: a client that got one may read the
    // counter and must find it counted.
    metrics.peer_deliveries_received.Increment(b.deliveries_size());
    for (auto& m : b.memberships())
      local.membership(std::make_shared<chat::membership_change>(
          chat::membership_change{m.app(), m.room(), m.user(), m.joined(), m.joined_seq()}));
    for (auto& p : b.deliveries()) {
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
    return static_cast<std::size_t>(b.deliveries_size());
  }

  chat::fanout& local;
  chat::metrics& metrics;
  peer::Peer::AsyncService service;
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  std::unique_ptr<grpc::Server> server;
  std::mutex stop_mu;
  bool stopping = false;  // under stop_mu
  std::thread thread;
};

peer_server::peer_server(const std::string& address, chat::fanout& local, chat::metrics& m)
    : impl_(std::make_unique<impl>(local, m)) {
  grpc::ServerBuilder b;
  b.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  b.RegisterService(&impl_->service);
  impl_->cq = b.AddCompletionQueue();
  impl_->server = b.BuildAndStart();
  if (!impl_->server || port_ == 0) throw std::runtime_error("cannot listen for peers on " + address);
  impl_->accept<impl::stream_call>();
  impl_->accept<impl::deliver_call>();
  impl_->thread = std::thread([this] { impl_->loop(); });
}

peer_server::~peer_server() {
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  // The other nodes' streams stay open as long as this server: cancel them
  // now rather than wait (their next batch opens a stream to whoever
  // listens then, or fails and is recovered by sync). Once `stopping` is
  // set no operation starts (if_running); those already started complete,
  // cancelled, as the queue drains, and the loop ends with it.
  impl_->server->Shutdown(std::chrono::system_clock::now());
  impl_->cq->Shutdown();
  impl_->thread.join();
}

}  // namespace chorus::cluster
