#include "chorus/chat/presence.hpp"

namespace chorus::chat {

namespace {
std::string key(const std::string& app, const std::string& user) { return app + '\n' + user; }
}  // namespace

int presence::up(const std::string& app, const std::string& user) {
  std::lock_guard lock(mu_);
  int n = ++sessions_[key(app, user)];
  // Under the lock, so that the directory hears ups and downs in order.
  if (n == 1 && on_change) on_change(app, user, true);
  return n;
}

int presence::down(const std::string& app, const std::string& user) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key(app, user));
  if (it == sessions_.end()) return 0;
  int left = --it->second;
  if (left <= 0) sessions_.erase(it);
  if (left == 0 && on_change) on_change(app, user, false);
  return left;
}

bool presence::online(const std::string& app, const std::string& user) const {
  std::lock_guard lock(mu_);
  return sessions_.contains(key(app, user));
}

std::vector<std::string> presence::online_among(const std::string& app,
                                                const std::vector<std::string>& users) const {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  for (auto& u : users)
    if (sessions_.contains(key(app, u))) out.push_back(u);
  return out;
}

}  // namespace chorus::chat

namespace chorus::chat {

std::vector<std::pair<std::string, std::string>> presence::snapshot() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::lock_guard lock(mu_);
  for (auto& [k, n] : sessions_) {
    auto nl = k.find('\n');
    out.emplace_back(k.substr(0, nl), k.substr(nl + 1));
  }
  return out;
}

}  // namespace chorus::chat
