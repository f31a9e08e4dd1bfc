// Who is online on this node: a count of logged-in sessions per (app, user).
// Touched on login and logout only, never per message, so one mutex is fine.
// Any thread. The cluster keeps the same facts in Redis.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace chorus::chat {

class presence {
 public:
  // Told when a user's first session here opens (true) or last closes
  // (false), under the lock (so in order; it must not call back in); set
  // once at startup (the cluster's directory).
  std::function<void(const std::string& app, const std::string& user, bool online)> on_change;

  // Returns the user's session count after the change.
  int up(const std::string& app, const std::string& user);
  int down(const std::string& app, const std::string& user);
  bool online(const std::string& app, const std::string& user) const;
  std::vector<std::string> online_among(const std::string& app, const std::vector<std::string>& users) const;
  std::vector<std::pair<std::string, std::string>> snapshot() const;  // every online (app, user)

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> sessions_;  // app\nuser -> sessions
};

}  // namespace chorus::chat
