// The peer server against a real gRPC client on loopback: batches read in
// order from a stream and from the unary call, counted in the answer, and a
// server that stops with a stream open. The fan-out is a recorder.
#include "chorus/chat/metrics.hpp"
#include "chorus/cluster/peers.hpp"

#include "peer.grpc.pb.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace chorus {
namespace {

using namespace std::chrono_literals;

// What the server handed to the node, in order: "m:<room>:<user>" for a
// membership, "d:<conv>:<seq>" for a delivery.
class recorder final : public chat::fanout {
 public:
  void publish(std::shared_ptr<const chat::delivery> d) override {
    add("d:" + d->conv + ":" + std::to_string(d->seq) + (d->frame ? ":" + *d->frame : ""));
  }
  void membership(std::shared_ptr<const chat::membership_change> c) override {
    add("m:" + c->room + ":" + c->user + (c->joined ? ":in" : ":out"));
  }
  // Waits until `n` were handed over (or 10 s pass); returns them all.
  std::vector<std::string> wait_for(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return seen_.size() >= n; });
    return seen_;
  }

 private:
  void add(std::string s) {
    {
      std::lock_guard lock(mu_);
      seen_.push_back(std::move(s));
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> seen_;
};

peer::Batch batch(std::uint64_t first_seq, int deliveries, const std::string& joining = "") {
  peer::Batch b;
  b.set_from_node(7);
  if (!joining.empty()) {
    auto* m = b.add_memberships();
    m->set_app("101");
    m->set_room("r1");
    m->set_user(joining);
    m->set_joined(true);
  }
  for (int i = 0; i < deliveries; ++i) {
    auto* d = b.add_deliveries();
    d->set_app("101");
    d->set_conv("d:a|b");
    d->set_seq(first_seq + static_cast<std::uint64_t>(i));
    d->set_from("a");
    d->set_to("b");
    d->set_frame("f" + std::to_string(first_seq + static_cast<std::uint64_t>(i)));
  }
  return b;
}

std::unique_ptr<peer::Peer::Stub> stub_for(const cluster::peer_server& s) {
  return peer::Peer::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(s.port()), grpc::InsecureChannelCredentials()));
}

TEST(PeerServer, AStreamsBatchesReachTheNodeInOrderAndAreCountedInItsAnswer) {
  recorder node;
  chat::metrics met;
  cluster::peer_server server("127.0.0.1:0", node, met);
  ASSERT_GT(server.port(), 0);
  auto stub = stub_for(server);

  grpc::ClientContext ctx;
  peer::Ack ack;
  auto stream = stub->Stream(&ctx, &ack);
  ASSERT_TRUE(stream->Write(batch(1, 3)));
  ASSERT_TRUE(stream->Write(batch(4, 2, "carol")));  // the membership goes first
  ASSERT_TRUE(stream->Write(batch(6, 1)));
  ASSERT_TRUE(stream->WritesDone());
  auto st = stream->Finish();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(ack.accepted(), 6u);

  auto seen = node.wait_for(7);
  std::vector<std::string> want = {"d:d:a|b:1:f1", "d:d:a|b:2:f2", "d:d:a|b:3:f3", "m:r1:carol:in",
                                   "d:d:a|b:4:f4", "d:d:a|b:5:f5", "d:d:a|b:6:f6"};
  EXPECT_EQ(seen, want);
}

TEST(PeerServer, TwoStreamsAndTheUnaryCallAreServedAtOnce) {
  recorder node;
  chat::metrics met;
  cluster::peer_server server("127.0.0.1:0", node, met);
  auto stub = stub_for(server);

  // Two senders' streams open together (two peer nodes), then a unary call.
  grpc::ClientContext c1, c2;
  peer::Ack a1, a2;
  auto s1 = stub->Stream(&c1, &a1);
  auto s2 = stub->Stream(&c2, &a2);
  ASSERT_TRUE(s1->Write(batch(1, 2)));
  ASSERT_TRUE(s2->Write(batch(100, 1)));
  ASSERT_TRUE(s1->Write(batch(3, 1)));

  grpc::ClientContext c3;
  peer::Ack a3;
  auto st3 = stub->Deliver(&c3, batch(200, 4), &a3);
  ASSERT_TRUE(st3.ok()) << st3.error_message();
  EXPECT_EQ(a3.accepted(), 4u);

  ASSERT_TRUE(s1->WritesDone());
  ASSERT_TRUE(s2->WritesDone());
  ASSERT_TRUE(s1->Finish().ok());
  ASSERT_TRUE(s2->Finish().ok());
  EXPECT_EQ(a1.accepted(), 3u);
  EXPECT_EQ(a2.accepted(), 1u);

  auto seen = node.wait_for(8);
  ASSERT_EQ(seen.size(), 8u);
  // Each stream's deliveries keep their order among the others'.
  std::vector<std::string> first;
  for (auto& s : seen)
    if (s.starts_with("d:d:a|b:1:") || s.starts_with("d:d:a|b:2:") || s.starts_with("d:d:a|b:3:")) first.push_back(s);
  EXPECT_EQ(first, (std::vector<std::string>{"d:d:a|b:1:f1", "d:d:a|b:2:f2", "d:d:a|b:3:f3"}));
  EXPECT_EQ(met.peer_deliveries_received.Value(), 8);
}

TEST(PeerServer, StopsPromptlyWithAStreamOpenAndTheSenderSeesItEnd) {
  recorder node;
  chat::metrics met;
  auto server = std::make_unique<cluster::peer_server>("127.0.0.1:0", node, met);
  auto stub = stub_for(*server);
  grpc::ClientContext ctx;
  peer::Ack ack;
  auto stream = stub->Stream(&ctx, &ack);
  ASSERT_TRUE(stream->Write(batch(1, 1)));
  ASSERT_EQ(node.wait_for(1).size(), 1u);

  auto t0 = std::chrono::steady_clock::now();
  server.reset();  // the stream is still open: cancelled, not waited for
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  // The sender learns the stream is gone (and opens a new one: peer_link):
  // its stream ends with an error, not with the server's answer.
  stream->Write(batch(2, 1));  // may still be buffered, or fail at once
  stream->WritesDone();
  EXPECT_FALSE(stream->Finish().ok());
}

}  // namespace
}  // namespace chorus
