#include "chorus/core/config.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace chorus::core;

namespace {
parse_outcome parse(std::vector<const char*> args) {
  args.insert(args.begin(), "chorusd");
  return parse_config(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST(Config, DefaultsAreTheEmbeddedSingleNode) {
  auto c = parse({}).cfg;
  EXPECT_EQ(c.listen_address, "127.0.0.1");
  EXPECT_EQ(c.port, 8282);
  EXPECT_EQ(c.auth, auth_mode::open);
  EXPECT_EQ(c.sync, sqlite_sync::full);
  EXPECT_GE(c.threads, 1u);
}

TEST(Config, PublicAddressWithoutSecretRefusesToStart) {
  try {
    parse({"--listen", "0.0.0.0"});
    FAIL() << "expected a refusal";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--jwt-secret"), std::string::npos) << e.what();
  }
}

TEST(Config, OpenAuthOnPublicAddressRefused) {
  EXPECT_THROW(parse({"--listen", "0.0.0.0", "--auth", "open"}), std::runtime_error);
}

TEST(Config, SecretSelectsJwt) {
  auto c = parse({"--listen", "0.0.0.0", "--jwt-secret", "0123456789abcdef0123"}).cfg;
  EXPECT_EQ(c.auth, auth_mode::jwt);
}

TEST(Config, ShortSecretRefused) { EXPECT_THROW(parse({"--auth", "jwt", "--jwt-secret", "short"}), std::runtime_error); }

TEST(Config, BadValuesAreErrors) {
  EXPECT_THROW(parse({"--port", "notaport"}), std::runtime_error);
  EXPECT_THROW(parse({"--sqlite-sync", "maybe"}), std::runtime_error);
  EXPECT_THROW(parse({"--auth", "none"}), std::runtime_error);
  EXPECT_THROW(parse({"--no-such-flag"}), std::runtime_error);
  // The WebSocket reader keeps its limit in 32 bits; 64 MiB is the cap.
  EXPECT_THROW(parse({"--max-frame-bytes", "100000000"}), std::runtime_error);
}

TEST(Config, HelpExitsWithText) {
  auto out = parse({"--help"});
  ASSERT_TRUE(out.exit_text);
  EXPECT_NE(out.exit_text->find("--jwt-secret"), std::string::npos);
}

TEST(Config, EnvironmentFillsOptions) {
  setenv("CHORUS_IDLE_TIMEOUT", "77", 1);
  auto c = parse({}).cfg;
  unsetenv("CHORUS_IDLE_TIMEOUT");
  EXPECT_EQ(c.idle_timeout_s, 77u);
}

TEST(Config, FlagsBeatEnvironment) {
  setenv("CHORUS_IDLE_TIMEOUT", "77", 1);
  auto c = parse({"--idle-timeout", "5"}).cfg;
  unsetenv("CHORUS_IDLE_TIMEOUT");
  EXPECT_EQ(c.idle_timeout_s, 5u);
}

TEST(Config, PresenceCacheTtlDefaultsToOneSecondAndZeroTurnsItOff) {
  EXPECT_EQ(parse({}).cfg.presence_cache_ms, 500u);
  EXPECT_EQ(parse({"--presence-cache-ms", "0"}).cfg.presence_cache_ms, 0u);
  EXPECT_EQ(parse({"--presence-cache-ms", "250"}).cfg.presence_cache_ms, 250u);
  EXPECT_THROW(parse({"--presence-cache-ms", "3600001"}), std::runtime_error);
}
