// Who a login is: in open mode the userId is trusted (the Go system's
// behaviour, allowed on loopback only); in jwt mode the token must be an
// HS256 JWT signed with the node's secret whose `sub` is the user (and whose
// `appId` claim, if present, is the tenant). Any thread; no shared state.
#pragma once

#include "chorus/core/codes.hpp"
#include "chorus/core/config.hpp"
#include "chorus/protocol/fields.hpp"

#include <string>

namespace chorus::gateway {

struct identity {
  core::code code = core::code::ok;  // ok: app and user are set
  std::string error;
  std::string app, user;
};

class authenticator {
 public:
  explicit authenticator(const core::config& cfg);
  identity verify(const protocol::login_data& login) const;

 private:
  core::auth_mode mode_;
  std::string secret_;
  std::string default_app_;
  std::vector<std::string> app_ids_;
};

}  // namespace chorus::gateway
