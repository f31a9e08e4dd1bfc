// Test doubles for the chat layer: an endpoint that records what it is
// offered, and a fan-out that records what is published.
#pragma once

#include "chorus/chat/endpoint.hpp"

#include <memory>
#include <vector>

namespace chorus::chat::fakes {

class recording_endpoint final : public endpoint {
 public:
  recording_endpoint(std::string app, std::string user, std::uint64_t id)
      : app_(std::move(app)), user_(std::move(user)), id_(id) {}
  const std::string& app() const noexcept override { return app_; }
  const std::string& user() const noexcept override { return user_; }
  std::uint64_t session_id() const noexcept override { return id_; }
  void offer(const std::shared_ptr<const delivery>& d) override { got.push_back(d); }
  void offer_own(const delivery& d) override { own.push_back(d.seq); }
  void on_membership(const membership_change& c) override { changes.push_back(c); }

  std::vector<std::shared_ptr<const delivery>> got;
  std::vector<std::uint64_t> own;  // seqs of its own messages it was told of
  std::vector<membership_change> changes;

 private:
  std::string app_, user_;
  std::uint64_t id_;
};

class recording_fanout final : public fanout {
 public:
  void publish(std::shared_ptr<const delivery> d) override { published.push_back(std::move(d)); }
  void membership(std::shared_ptr<const membership_change> c) override { changes.push_back(std::move(c)); }
  std::vector<std::shared_ptr<const delivery>> published;
  std::vector<std::shared_ptr<const membership_change>> changes;
};

}  // namespace chorus::chat::fakes
