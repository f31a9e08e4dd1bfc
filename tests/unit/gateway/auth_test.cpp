#include "chorus/gateway/auth.hpp"

#include "chorus/core/clock.hpp"

#include <gtest/gtest.h>
#include <jwt.h>

#include <cstdlib>

using namespace chorus;
using core::code;

namespace {
const std::string secret = "0123456789abcdef0123456789abcdef";

std::string token(const std::string& sub, long exp_offset, const std::string& key = secret,
                  const char* app = nullptr, jwt_alg_t alg = JWT_ALG_HS256) {
  jwt_t* j = nullptr;
  jwt_new(&j);
  if (!sub.empty()) jwt_add_grant(j, "sub", sub.c_str());
  jwt_add_grant_int(j, "exp", core::unix_ms() / 1000 + exp_offset);
  if (app) jwt_add_grant(j, "appId", app);
  jwt_set_alg(j, alg, reinterpret_cast<const unsigned char*>(key.data()), static_cast<int>(key.size()));
  char* enc = jwt_encode_str(j);
  std::string out = enc ? enc : "";
  free(enc);
  jwt_free(j);
  return out;
}

core::config jwt_config() {
  core::config c;
  c.auth = core::auth_mode::jwt;
  c.jwt_secret = secret;
  return c;
}

protocol::login_data login(std::string user, std::string tok, std::string app = "") {
  protocol::login_data l;
  l.user = std::move(user);
  l.token = std::move(tok);
  l.app = std::move(app);
  return l;
}
}  // namespace

TEST(Auth, OpenModeTrustsTheUserIdAndDefaultsTheApp) {
  core::config c;
  gateway::authenticator a(c);
  auto id = a.verify(login("1", ""));
  EXPECT_EQ(id.code, code::ok);
  EXPECT_EQ(id.user, "1");
  EXPECT_EQ(id.app, "101");
}

TEST(Auth, ValidTokenLogsIn) {
  gateway::authenticator a(jwt_config());
  auto id = a.verify(login("1", token("1", 60)));
  EXPECT_EQ(id.code, code::ok) << id.error;
  EXPECT_EQ(id.user, "1");
}

TEST(Auth, BadTokensAreRefused) {
  gateway::authenticator a(jwt_config());
  EXPECT_EQ(a.verify(login("1", "")).code, code::unauthorized);
  EXPECT_EQ(a.verify(login("1", "not.a.jwt")).code, code::unauthorized);
  EXPECT_EQ(a.verify(login("1", token("1", 60, "another-secret-another-secret!!"))).code, code::unauthorized);
  EXPECT_EQ(a.verify(login("1", token("1", -10))).code, code::unauthorized);
  EXPECT_EQ(a.verify(login("1", token("", 60))).code, code::unauthorized);
  EXPECT_EQ(a.verify(login("1", token("1", 60, secret, nullptr, JWT_ALG_HS512))).code, code::unauthorized);
}

TEST(Auth, TokenForAnotherUserIs1002) {
  gateway::authenticator a(jwt_config());
  EXPECT_EQ(a.verify(login("2", token("1", 60))).code, code::bad_user_id);
}

TEST(Auth, AppClaimFixesTheTenant) {
  gateway::authenticator a(jwt_config());
  auto id = a.verify(login("1", token("1", 60, secret, "555")));
  EXPECT_EQ(id.code, code::ok);
  EXPECT_EQ(id.app, "555");
  EXPECT_EQ(a.verify(login("1", token("1", 60, secret, "555"), "556")).code, code::unauthorized);
}

TEST(Auth, AppAllowList) {
  core::config c;
  c.app_ids = {"101", "102"};
  gateway::authenticator a(c);
  EXPECT_EQ(a.verify(login("1", "", "102")).code, code::ok);
  EXPECT_EQ(a.verify(login("1", "", "103")).code, code::unknown_app_id);
}
