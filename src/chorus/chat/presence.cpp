#include "chorus/chat/presence.hpp"

namespace chorus::chat {

namespace {
std::string key(const std::string& app, const std::string& user) { return app + '\n' + user; }
}  // namespace

int presence::up(const std::string& app, const std::string& user) {
  std::lock_guard lock(mu_);
  return ++sessions_[key(app, user)];
}

int presence::down(const std::string& app, const std::string& user) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key(app, user));
  if (it == sessions_.end()) return 0;
  int left = --it->second;
  if (left <= 0) sessions_.erase(it);
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

std::size_t presence::users_online() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace chorus::chat
