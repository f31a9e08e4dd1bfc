#include "chorus/store/threaded_store.hpp"

#include "chorus/core/thread_name.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace chorus::store {

threaded_store::threaded_store(std::unique_ptr<batch_writer> w, std::unique_ptr<query_reader> r,
                               std::size_t batch_max, batch_observer on_batch)
    : batch_max_(batch_max), on_batch_(std::move(on_batch)), writer_(std::move(w)), reader_(std::move(r)) {
  wthread_ = std::thread([this] {
    core::name_this_thread("store-writer");
    write_loop();
  });
  rthread_ = std::thread([this] {
    core::name_this_thread("store-reader");
    read_loop();
  });
}

threaded_store::~threaded_store() {
  {
    std::lock_guard lock(wmu_);
    stopping_ = true;
  }
  wcv_.notify_all();
  wthread_.join();
  {
    std::lock_guard lock(rmu_);
    rstopping_ = true;
  }
  rcv_.notify_all();
  rthread_.join();
}

void threaded_store::submit(write_op op) {
  {
    std::lock_guard lock(wmu_);
    wq_.push_back({++issued_, std::move(op)});
  }
  wcv_.notify_one();
}

void threaded_store::append(append_request r, std::function<void(append_result)> done) {
  submit(append_op{std::move(r), std::move(done), {}});
}

void threaded_store::join(std::string app, std::string room, std::string user,
                        std::function<void(join_result)> done) {
  submit(join_op{std::move(app), std::move(room), std::move(user), std::move(done), {}});
}

void threaded_store::leave(std::string app, std::string room, std::string user,
                         std::function<void(leave_result)> done) {
  submit(leave_op{std::move(app), std::move(room), std::move(user), std::move(done), {}});
}

void threaded_store::advance_cursor(std::string app, std::string user, std::string device,
                                  std::string conv, std::uint64_t seq, std::function<void(status)> done) {
  bool wake;
  {
    std::lock_guard lock(wmu_);
    wake = note_mark() || done;
    auto& c = cursors_[{std::move(app), std::move(user), std::move(device), std::move(conv)}];
    c = std::max(c, seq);
    if (done) mark_waiters_.push_back(std::move(done));
  }
  if (wake) wcv_.notify_one();
}

bool threaded_store::note_mark() {
  ++issued_;
  if (!cursors_.empty() || !reads_.empty()) return false;
  first_mark_ticket_ = issued_;
  first_mark_at_ = std::chrono::steady_clock::now();
  return true;
}

void threaded_store::mark_read(std::string app, std::string user, std::string conv, std::uint64_t seq,
                             std::function<void(status)> done) {
  bool wake;
  {
    std::lock_guard lock(wmu_);
    wake = note_mark() || done;
    auto& r = reads_[{std::move(app), std::move(user), std::move(conv)}];
    r = std::max(r, seq);
    if (done) mark_waiters_.push_back(std::move(done));
  }
  if (wake) wcv_.notify_one();
}

void threaded_store::expedite_marks() {
  {
    std::lock_guard lock(wmu_);
    if (cursors_.empty() && reads_.empty()) return;
    expedite_ = true;
  }
  wcv_.notify_one();
}

void threaded_store::flush() {
  std::uint64_t ticket;
  {
    std::lock_guard lock(wmu_);
    ticket = issued_;
  }
  wait_committed(ticket);
}

void threaded_store::wait_committed(std::uint64_t ticket) {
  std::unique_lock lock(wmu_);
  if (committed_ >= ticket) return;
  ++waiting_;
  wcv_.notify_one();
  committed_cv_.wait(lock, [&] { return committed_ >= ticket; });
  --waiting_;
}

void threaded_store::write_loop() {
  std::vector<write_op> batch;
  cursor_map cursors;
  read_map reads;
  std::vector<std::function<void(status)>> mark_waiters;
  for (;;) {
    std::uint64_t done_upto;
    {
      std::unique_lock lock(wmu_);
      wcv_.wait(lock, [&] { return stopping_ || !wq_.empty() || !cursors_.empty() || !reads_.empty(); });
      if (wq_.empty() && cursors_.empty() && reads_.empty()) return;  // stopping, and drained
      // Cursor and read marks: every pushed message advances its
      // recipient's cursor once written, as many marks as messages. Held
      // back (mark_hold) they share the transactions of later writes, and
      // a busy conversation's marks collapse into one row update: fewer
      // rows, fewer pages per commit. Not when someone waits for them: a
      // read (read-your-writes), flush(), a caller with a callback (an
      // ack), a closing session (expedite_marks: its device may log in on
      // another node at once), or shutdown.
      auto urgent = [&] { return stopping_ || expedite_ || waiting_ > 0 || !mark_waiters_.empty(); };
      auto due = first_mark_at_ + mark_hold;
      if (wq_.empty() && !urgent()) wcv_.wait_until(lock, due, [&] { return !wq_.empty() || urgent(); });
      while (!wq_.empty() && batch.size() < batch_max_) {
        batch.push_back(std::move(wq_.front().op));
        wq_.pop_front();
      }
      bool marks = urgent() || std::chrono::steady_clock::now() >= due;
      if (marks) {
        expedite_ = false;
        cursors.swap(cursors_);
        reads.swap(reads_);
        mark_waiters.swap(mark_waiters_);
      }
      // Writes still queued hold the lowest tickets not in this batch, and
      // so do marks held back.
      done_upto = wq_.empty() ? issued_ : wq_.front().ticket - 1;
      if (!cursors_.empty() || !reads_.empty()) done_upto = std::min(done_upto, first_mark_ticket_ - 1);
    }
    auto t0 = std::chrono::steady_clock::now();
    bool ok = writer_->run(batch, cursors, reads);
    if (on_batch_)
      on_batch_(batch.size() + cursors.size() + reads.size(),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), ok);
    // Callbacks after the commit, in commit order: nothing is announced that
    // is not durable.
    for (auto& op : batch) std::visit([](auto& o) { if (o.done) o.done(std::move(o.res)); }, op);
    for (auto& w : mark_waiters) w(ok ? status::ok : status::error);
    bool idle;
    {
      std::lock_guard lock(wmu_);
      committed_ = done_upto;
      idle = wq_.empty();
    }
    committed_cv_.notify_all();
    writer_->upkeep(idle);
    batch.clear();
    cursors.clear();
    reads.clear();
    mark_waiters.clear();
  }
}

namespace {
// Runs a query, turning a database failure into status::error for the caller.
template <class Result, class Query>
void guarded(Query&& q, const std::function<void(Result)>& done) {
  Result res;
  try {
    res = q();
  } catch (const std::exception& e) {
    spdlog::error("store: read failed: {}", e.what());
    res = Result{};
    res.st = status::error;
  }
  done(std::move(res));
}
}  // namespace

void threaded_store::read(read_job job) {
  {
    std::lock_guard lock(wmu_);
    job.ticket = issued_;
  }
  {
    std::lock_guard lock(rmu_);
    rq_.push_back(std::move(job));
  }
  rcv_.notify_one();
}

void threaded_store::read_loop() {
  std::vector<read_job> jobs;
  for (;;) {
    jobs.clear();
    {
      std::unique_lock lock(rmu_);
      rcv_.wait(lock, [&] { return rstopping_ || !rq_.empty(); });
      if (rq_.empty()) return;
      // A sync takes the syncs queued right behind it along: after a burst
      // of logins (a node restarting, a network coming back) each one
      // would otherwise cost a round trip of its own.
      do {
        jobs.push_back(std::move(rq_.front()));
        rq_.pop_front();
      } while (!jobs.front().query && !rq_.empty() && !rq_.front().query && jobs.size() < sync_batch_max);
    }
    wait_committed(jobs.back().ticket);  // tickets grow along the queue
    if (jobs.front().query)
      jobs.front().query(*reader_);
    else
      run_syncs(jobs);
  }
}

void threaded_store::run_syncs(std::vector<read_job>& jobs) {
  std::vector<sync_result> results;
  if (jobs.size() > 1) {
    std::vector<const sync_request*> requests;
    for (auto& j : jobs) requests.push_back(&j.sync);
    try {
      results = reader_->sync_many(requests);
    } catch (const std::exception& e) {
      spdlog::warn("store: {} syncs read together failed ({}); reading each alone", jobs.size(), e.what());
      results.clear();
    }
  }
  if (results.size() == jobs.size()) {
    for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].sync_done(std::move(results[i]));
    return;
  }
  for (auto& j : jobs) guarded<sync_result>([&] { return reader_->sync(j.sync); }, j.sync_done);
}

void threaded_store::sync(sync_request r, std::function<void(sync_result)> done) {
  read({0, {}, std::move(r), std::move(done)});
}

void threaded_store::conversations(std::string app, std::string user,
                                 std::function<void(conversations_result)> done) {
  query([app = std::move(app), user = std::move(user), done = std::move(done)](query_reader& rd) {
    guarded<conversations_result>([&] { return rd.conversations(app, user); }, done);
  });
}

void threaded_store::history(history_request r, std::function<void(history_result)> done) {
  query([r = std::move(r), done = std::move(done)](query_reader& rd) {
    guarded<history_result>([&] { return rd.history(r); }, done);
  });
}

void threaded_store::room_members(std::string app, std::string room,
                                std::function<void(members_result)> done) {
  query([app = std::move(app), room = std::move(room), done = std::move(done)](query_reader& rd) {
    guarded<members_result>([&] { return rd.room_members(app, room); }, done);
  });
}

void threaded_store::rooms(std::string app, std::function<void(rooms_result)> done) {
  query([app = std::move(app), done = std::move(done)](query_reader& rd) {
    guarded<rooms_result>([&] { return rd.rooms(app); }, done);
  });
}

}  // namespace chorus::store
