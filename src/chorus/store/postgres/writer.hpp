// The PostgreSQL writer: one batch of writes in one transaction. Sequence
// numbers come from the `conversations` row, incremented and returned inside
// the transaction, so they stay gap-free and unique across nodes (no cache:
// another node may have written since). Owned by the store's writer thread.
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
  void apply(append_op& op);
  void apply(join_op& op);
  void apply(leave_op& op);

  connection db_;
  core::snowflake ids_;
};

}  // namespace chorus::store::postgres
