#include "chorus/core/ids.hpp"

namespace chorus::core {

bool valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > max_id_length) return false;
  for (unsigned char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string direct_conv(std::string_view a, std::string_view b) {
  if (b < a) std::swap(a, b);
  std::string conv;
  conv.reserve(3 + a.size() + b.size());
  conv.append("d:").append(a).append("|").append(b);
  return conv;
}

std::string room_conv(std::string_view room) {
  std::string conv("r:");
  conv.append(room);
  return conv;
}

bool is_room_conv(std::string_view conv) noexcept { return conv.starts_with("r:"); }

std::string_view conv_room(std::string_view conv) noexcept {
  return is_room_conv(conv) ? conv.substr(2) : std::string_view{};
}

namespace {
// Splits "d:<a>|<b>"; '|' never occurs in an id, so the split is unambiguous.
bool split_direct(std::string_view conv, std::string_view& a, std::string_view& b) noexcept {
  if (!conv.starts_with("d:")) return false;
  auto rest = conv.substr(2);
  auto bar = rest.find('|');
  if (bar == std::string_view::npos) return false;
  a = rest.substr(0, bar);
  b = rest.substr(bar + 1);
  return valid_id(a) && valid_id(b);
}
}  // namespace

bool direct_conv_has(std::string_view conv, std::string_view user) noexcept {
  std::string_view a, b;
  return split_direct(conv, a, b) && (a == user || b == user);
}

std::string_view direct_peer(std::string_view conv, std::string_view user) noexcept {
  std::string_view a, b;
  if (!split_direct(conv, a, b)) return {};
  return a == user ? b : a;
}

bool valid_conv(std::string_view conv) noexcept {
  if (is_room_conv(conv)) return valid_id(conv_room(conv));
  std::string_view a, b;
  return split_direct(conv, a, b);
}

}  // namespace chorus::core
