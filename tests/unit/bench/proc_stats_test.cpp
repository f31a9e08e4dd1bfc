// The machine record of a run: /proc/cpuinfo parsing, and this box described.
#include "chorus/bench/proc_stats.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace chorus::bench {
namespace {

std::string model_of(const std::string& text) {
  std::istringstream in(text);
  return cpu_model_of(in);
}

TEST(CpuModel, TheFirstProcessorsModelNameTrimmed) {
  EXPECT_EQ(model_of("processor\t: 0\n"
                     "vendor_id\t: GenuineIntel\n"
                     "model\t\t: 207\n"
                     "model name\t: Intel(R) Xeon(R) Processor  \n"
                     "\n"
                     "processor\t: 1\n"
                     "model name\t: Something Else\n"),
            "Intel(R) Xeon(R) Processor");
}

TEST(CpuModel, NoneWhereTheKernelGivesNone) {
  // arm64's /proc/cpuinfo has no "model name" line.
  EXPECT_EQ(model_of("processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n"), "");
  EXPECT_EQ(model_of(""), "");
  EXPECT_EQ(model_of("model name\t:\n"), "");
}

TEST(Machine, DescribesThisOne) {
  auto m = describe_machine();
  EXPECT_GE(m.cpus, 1);
  EXPECT_FALSE(m.kernel.empty());
}

}  // namespace
}  // namespace chorus::bench
