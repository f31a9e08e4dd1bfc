#include "chorus/store/memory_store.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/core/ids.hpp"

#include <algorithm>

namespace chorus::store {

void memory_store::append(append_request r, std::function<void(append_result)> done) {
  append_result res;
  {
    std::lock_guard lock(mu_);
    auto& m = r.msg;
    conv_key ck{m.app, m.conv};
    if (!m.client_msg_id.empty()) {
      if (auto it = idem_.find({m.app, m.from, m.client_msg_id}); it != idem_.end()) {
        res.duplicate = true;
        res.msg = convs_[it->second.first][it->second.second - 1];
      }
    }
    if (!res.duplicate) {
      if (r.require_member && !members_.contains({m.app, m.from, m.conv})) {
        res.st = status::not_member;
      } else {
        auto& log = convs_[ck];
        if (!core::is_room_conv(m.conv)) {
          members_.try_emplace({m.app, m.from, m.conv}, 0);
          members_.try_emplace({m.app, m.to, m.conv}, 0);
        }
        m.seq = log.size() + 1;
        m.id = core::snowflake::to_string(ids_.next());
        if (!m.ts_ms) m.ts_ms = core::unix_ms();
        log.push_back(m);
        auto& read = reads_[{m.app, m.from, m.conv}];
        read = std::max(read, m.seq);
        if (!m.client_msg_id.empty()) idem_[{m.app, m.from, m.client_msg_id}] = {ck, m.seq};
        res.msg = m;
      }
    }
  }
  done(std::move(res));
}

void memory_store::join(std::string app, std::string room, std::string user,
                        std::function<void(join_result)> done) {
  join_result res;
  {
    std::lock_guard lock(mu_);
    auto conv = core::room_conv(room);
    auto& log = convs_[{app, conv}];
    auto [it, inserted] = members_.try_emplace({app, user, conv}, log.size());
    res.joined = inserted;
    res.joined_seq = it->second;
  }
  done(res);
}

void memory_store::leave(std::string app, std::string room, std::string user,
                         std::function<void(leave_result)> done) {
  leave_result res;
  {
    std::lock_guard lock(mu_);
    res.left = members_.erase({app, user, core::room_conv(room)}) > 0;
  }
  done(res);
}

void memory_store::advance_cursor(std::string app, std::string user, std::string device,
                                  std::string conv, std::uint64_t seq, std::function<void(status)> done) {
  {
    std::lock_guard lock(mu_);
    auto& c = cursors_[{app, user, device, conv}];
    c = std::max(c, seq);
  }
  if (done) done(status::ok);
}

void memory_store::mark_read(std::string app, std::string user, std::string conv, std::uint64_t seq,
                             std::function<void(status)> done) {
  {
    std::lock_guard lock(mu_);
    auto& c = reads_[{std::move(app), std::move(user), std::move(conv)}];
    c = std::max(c, seq);
  }
  if (done) done(status::ok);
}

void memory_store::conversations(std::string app, std::string user,
                                 std::function<void(conversations_result)> done) {
  conversations_result res;
  {
    std::lock_guard lock(mu_);
    for (auto it = members_.lower_bound({app, user, ""});
         it != members_.end() && std::get<0>(it->first) == app && std::get<1>(it->first) == user; ++it) {
      conv_summary c;
      c.conv = std::get<2>(it->first);
      c.read_seq = it->second;
      if (auto r = reads_.find(it->first); r != reads_.end()) c.read_seq = std::max(c.read_seq, r->second);
      const auto& log = convs_[{app, c.conv}];
      c.last_seq = log.size();
      if (!log.empty()) {
        c.has_last = true;
        c.last = log.back();
      }
      res.convs.push_back(std::move(c));
    }
  }
  sort_by_activity(res.convs);
  done(std::move(res));
}

void memory_store::sync(sync_request r, std::function<void(sync_result)> done) {
  sync_result res;
  {
    std::lock_guard lock(mu_);
    for (auto it = members_.lower_bound({r.app, r.user, ""});
         it != members_.end() && std::get<0>(it->first) == r.app && std::get<1>(it->first) == r.user;
         ++it) {
      const auto& conv = std::get<2>(it->first);
      std::uint64_t cursor = 0;
      if (auto c = cursors_.find({r.app, r.user, r.device, conv}); c != cursors_.end()) cursor = c->second;
      std::uint64_t start = std::max(it->second, sync_from(r, conv, cursor));
      res.convs.push_back({conv, start});
      const auto& log = convs_[{r.app, conv}];
      for (auto s = start; s < log.size(); ++s) {
        if (res.missed.size() == r.limit) {
          res.more = true;
          break;
        }
        res.missed.push_back(log[s]);
      }
    }
  }
  done(std::move(res));
}

void memory_store::history(history_request r, std::function<void(history_result)> done) {
  history_result res;
  {
    std::lock_guard lock(mu_);
    bool member = core::is_room_conv(r.conv) ? members_.contains({r.app, r.user, r.conv})
                                             : core::direct_conv_has(r.conv, r.user);
    if (!member) {
      res.st = status::not_member;
    } else {
      const auto& log = convs_[{r.app, r.conv}];
      auto top = r.before == 0 ? log.size() : std::min<std::uint64_t>(r.before - 1, log.size());
      for (auto s = top; s > 0 && res.messages.size() < r.limit; --s) res.messages.push_back(log[s - 1]);
    }
  }
  done(std::move(res));
}

void memory_store::room_members(std::string app, std::string room,
                                std::function<void(members_result)> done) {
  members_result res;
  {
    std::lock_guard lock(mu_);
    auto conv = core::room_conv(room);
    for (auto& [k, v] : members_)
      if (std::get<0>(k) == app && std::get<2>(k) == conv) res.users.push_back(std::get<1>(k));
  }
  done(std::move(res));
}

void memory_store::rooms(std::string app, std::function<void(rooms_result)> done) {
  rooms_result res;
  {
    std::lock_guard lock(mu_);
    std::map<std::string, std::size_t> counts;
    for (auto& [k, v] : members_)
      if (std::get<0>(k) == app && core::is_room_conv(std::get<2>(k)))
        ++counts[std::string(core::conv_room(std::get<2>(k)))];
    for (auto& [room, n] : counts) res.rooms.push_back({room, n});
  }
  done(std::move(res));
}

}  // namespace chorus::store
