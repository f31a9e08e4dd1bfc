// Merging the results of threads and worker processes, and the exit code.
#include "chorus/bench/results.hpp"
#include "chorus/bench/proc_stats.hpp"

#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace chorus::bench {
namespace {

results sample(std::uint64_t sent, double connect_s, double cpu, std::uint64_t latency) {
  results r;
  r.scenario = "direct";
  r.counters["sent"] = sent;
  r.counters["lost"] = 0;
  r.gauges["connect_s"] = connect_s;
  r.gauges["cpu_user_s"] = cpu;
  r.hists["ack"].add(latency);
  return r;
}

TEST(Results, MergeAddsCountersAndCpuAndTakesTheLongestPhase) {
  results r;
  r.merge(sample(100, 2.0, 1.5, 1000));
  r.merge(sample(50, 3.0, 0.5, 3000));
  EXPECT_EQ(r.scenario, "direct");
  EXPECT_EQ(r.counter("sent"), 150u);
  EXPECT_DOUBLE_EQ(r.gauge("connect_s"), 3.0);
  EXPECT_DOUBLE_EQ(r.gauge("cpu_user_s"), 2.0);
  EXPECT_EQ(r.hists["ack"].count(), 2u);
  EXPECT_EQ(r.hists["ack"].max(), 3000u);
}

TEST(Results, ExitCodeSaysOrderFaultsBeforeErrors) {
  results r;
  EXPECT_EQ(r.exit_code(), 0);
  r.counters["unanswered"] = 1;
  EXPECT_EQ(r.exit_code(), 2);
  r.counters["duplicated"] = 1;
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_EQ(r.order_faults(), 1u);
  r.counters["own_pushes"] = 2;  // a sender pushed its own message: a duplicate to it
  EXPECT_EQ(r.order_faults(), 3u);
  EXPECT_NE(r.table().find("own pushes 2"), std::string::npos);
}

TEST(Results, OwnPushesAloneAreAFault) {
  results r;
  r.counters["own_pushes"] = 1;
  EXPECT_EQ(r.exit_code(), 1);
  EXPECT_NE(r.table().find("result: ORDER FAULTS"), std::string::npos);
}

TEST(Results, WorkerJsonRoundTripMergesLikeTheOriginal) {
  results a = sample(10, 1.0, 0.25, 500);
  results b = sample(20, 1.5, 0.25, 700);
  auto line = boost::json::serialize(a.to_json(true));
  results back = results::from_json(boost::json::parse(line).as_object());
  back.merge(b);
  results direct = a;
  direct.merge(b);
  EXPECT_EQ(back.counter("sent"), direct.counter("sent"));
  EXPECT_DOUBLE_EQ(back.gauge("cpu_user_s"), direct.gauge("cpu_user_s"));
  EXPECT_EQ(back.hists["ack"].percentile(50), direct.hists["ack"].percentile(50));
  EXPECT_EQ(back.hists["ack"].count(), 2u);
}

TEST(Results, DerivedRatesUseThePhaseDurations) {
  results r;
  r.counters["logged_in"] = 1000;
  r.gauges["connect_s"] = 0.5;
  r.gauges["rss_before_kib"] = 1000;
  r.gauges["rss_after_kib"] = 2000;
  auto d = r.derived();
  EXPECT_DOUBLE_EQ(d.at("handshakes_per_s").as_double(), 2000.0);
  EXPECT_DOUBLE_EQ(d.at("rss_bytes_per_conn").as_double(), 1024.0);
}

}  // namespace
}  // namespace chorus::bench

namespace chorus::bench {

TEST(Results, ServerCpuGivesDeliveriesPerCpuSecond) {
  results r;
  r.counters["delivered"] = 1000;
  r.counters["acked"] = 10;
  r.gauges["send_s"] = 2;
  r.gauges["run_s"] = 2;
  r.gauges["server_cpu_run_s"] = 0.5;
  auto d = r.derived();
  EXPECT_DOUBLE_EQ(d.at("delivered_per_server_cpu_s").as_double(), 2000.0);
  EXPECT_DOUBLE_EQ(d.at("acked_per_server_cpu_s").as_double(), 20.0);
  EXPECT_DOUBLE_EQ(d.at("server_cores").as_double(), 0.25);
  results none;
  none.gauges["run_s"] = 2;
  EXPECT_FALSE(none.derived().contains("server_cpu_s"));
}

TEST(ProcStats, ReadsThisProcessCpuTime) {
  // Burn a little CPU so the figure is above zero, then read our own.
  volatile double x = 0;
  for (int i = 0; i < 20'000'000; ++i) x = x + i * 0.5;
  auto cpu = read_cpu_s(getpid());
  ASSERT_TRUE(cpu.has_value());
  EXPECT_GT(*cpu, 0.0);
  EXPECT_FALSE(read_cpu_s(-1).has_value());
}

}  // namespace chorus::bench
