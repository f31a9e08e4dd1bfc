// The PostgreSQL writer: one batch of writes in one transaction, sent as one
// pipeline (one round trip for the whole batch, whatever its size). Each
// write is one statement that decides and writes on the server: an append
// checks its idempotency key and membership, takes the next sequence number
// from its `conversations` row and inserts the message. Statements run in
// batch order and each sees the ones before it, so a join before an append
// counts and a second append with the same msgId is a duplicate of the first.
// Sequence numbers stay gap-free and unique across nodes: the row lock is
// held to the commit (no cache: another node may have written since). Owned
// by the store's writer thread.
#pragma once

#include "chorus/core/snowflake.hpp"
#include "chorus/store/batch.hpp"
#include "chorus/store/postgres/connection.hpp"

namespace chorus::store::postgres {

class writer final : public batch_writer {
 public:
  writer(const std::string& conninfo, unsigned node_id);
  bool run(std::vector<write_op>& ops, const cursor_map& cursors, const read_map& reads) override;

 private:
  void send(pipeline& p, append_op& op);
  void send(pipeline& p, join_op& op);
  void send(pipeline& p, leave_op& op);
  static void take(const result& r, append_op& op);
  static void take(const result& r, join_op& op);
  static void take(const result& r, leave_op& op);

  connection db_;
  core::snowflake ids_;
};

}  // namespace chorus::store::postgres
