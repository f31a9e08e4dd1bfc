// Flag parsing: values, defaults, and the refusals (non-loopback, unknown).
#include "chorus/bench/config.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace chorus::bench {
namespace {

TEST(Config, ParsesBothFlagSpellings) {
  auto c = parse_args({"direct", "--pairs", "10", "--rate=200", "--port", "9000", "--no-progress"});
  EXPECT_EQ(c.scenario, "direct");
  EXPECT_EQ(c.pairs, 10u);
  EXPECT_DOUBLE_EQ(c.rate, 200);
  EXPECT_EQ(c.port, 9000);
  EXPECT_FALSE(c.progress);
  EXPECT_EQ(c.total_connections(), 20u);
}

TEST(Config, RefusesANonLoopbackTarget) {
  EXPECT_THROW(parse_args({"connect", "--host", "10.0.0.1"}), std::invalid_argument);
  EXPECT_THROW(parse_args({"connect", "--host", "example.com"}), std::invalid_argument);
  EXPECT_NO_THROW(parse_args({"connect", "--host", "127.0.0.2"}));
}

TEST(Config, RefusesUnknownScenariosAndFlagsAndBadNumbers) {
  EXPECT_THROW(parse_args({}), std::invalid_argument);
  EXPECT_THROW(parse_args({"flood"}), std::invalid_argument);
  EXPECT_THROW(parse_args({"connect", "--nope", "1"}), std::invalid_argument);
  EXPECT_THROW(parse_args({"connect", "--connections", "-5"}), std::invalid_argument);
  EXPECT_THROW(parse_args({"connect", "--connections"}), std::invalid_argument);
  EXPECT_THROW(parse_args({"room", "--members", "3", "--senders", "4"}), std::invalid_argument);
}

TEST(Config, WorkersSplitItemsWithoutOverlap) {
  int owners[10] = {};
  for (std::uint64_t i = 0; i < 10; ++i)
    for (int w = 0; w < 3; ++w)
      if (owns(i, w, 3)) ++owners[i];
  for (int n : owners) EXPECT_EQ(n, 1);
  EXPECT_TRUE(owns(7, -1, 1));
}

TEST(Config, SeveralPortsSpreadUsersAndSeveralPidsAreKept) {
  auto c = parse_args({"direct", "--port", "9000,9001,9002", "--server-pid", "11,12,13"});
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.port_of(0), 9000);
  EXPECT_EQ(c.port_of(1), 9001);
  EXPECT_EQ(c.port_of(5), 9002);
  EXPECT_EQ(c.server_pid, 11);
  EXPECT_EQ(c.server_pids, (std::vector<int>{11, 12, 13}));
  auto one = parse_args({"direct", "--port", "9000"});
  EXPECT_EQ(one.port_of(7), 9000);
  EXPECT_THROW(parse_args({"direct", "--port", "9000,"}), std::invalid_argument);
  EXPECT_THROW(parse_args({"direct", "--port", "9000,70000"}), std::invalid_argument);
  EXPECT_THROW(parse_args({"direct", "--server-pid", "0"}), std::invalid_argument);
}

}  // namespace
}  // namespace chorus::bench
