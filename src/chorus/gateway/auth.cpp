#include "chorus/gateway/auth.hpp"

#include "chorus/core/clock.hpp"
#include "chorus/core/ids.hpp"

#include <jwt.h>

#include <cerrno>

#include <algorithm>
#include <memory>

namespace chorus::gateway {

using core::code;

authenticator::authenticator(const core::config& cfg)
    : mode_(cfg.auth), secret_(cfg.jwt_secret), default_app_(cfg.default_app_id), app_ids_(cfg.app_ids) {}

namespace {
identity deny(code c, std::string why) {
  identity id;
  id.code = c;
  id.error = std::move(why);
  return id;
}

struct jwt_deleter {
  void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};

std::string grant(jwt_t* j, const char* name) {
  const char* v = jwt_get_grant(j, name);
  return v ? v : "";
}
}  // namespace

identity authenticator::verify(const protocol::login_data& login) const {
  identity id;
  id.app = login.app.empty() ? default_app_ : login.app;
  id.user = login.user;
  if (mode_ == core::auth_mode::jwt) {
    if (login.token.empty()) return deny(code::unauthorized, "token is required");
    jwt_t* raw = nullptr;
    // jwt_decode verifies the signature when given the key.
    if (jwt_decode(&raw, login.token.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                   static_cast<int>(secret_.size())) != 0 || !raw)
      return deny(code::unauthorized, "token is not a valid signed JWT");
    std::unique_ptr<jwt_t, jwt_deleter> token(raw);
    if (jwt_get_alg(raw) != JWT_ALG_HS256) return deny(code::unauthorized, "token must be HS256");
    auto now = core::unix_ms() / 1000;
    errno = 0;
    long exp = jwt_get_grant_int(raw, "exp");
    if (errno == ENOENT) return deny(code::unauthorized, "token has no exp");
    if (exp <= now) return deny(code::unauthorized, "token expired");
    errno = 0;
    long nbf = jwt_get_grant_int(raw, "nbf");
    if (errno != ENOENT && nbf > now) return deny(code::unauthorized, "token not valid yet");
    auto sub = grant(raw, "sub");
    if (sub.empty() || !core::valid_id(sub)) return deny(code::unauthorized, "token has no valid sub");
    if (sub != login.user) return deny(code::bad_user_id, "userId does not match the token");
    if (auto app = grant(raw, "appId"); !app.empty()) {
      if (!login.app.empty() && login.app != app) return deny(code::unauthorized, "appId does not match the token");
      id.app = app;
    }
  }
  if (!app_ids_.empty() && std::find(app_ids_.begin(), app_ids_.end(), id.app) == app_ids_.end())
    return deny(code::unknown_app_id, "appId " + id.app + " is not served here");
  return id;
}

}  // namespace chorus::gateway
