// Identifiers of the chat domain: tenants (appId), users, rooms, devices and
// conversations, and the rules that make one valid. Pure functions: any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chorus::core {

inline constexpr std::size_t max_id_length = 64;

// An id is 1..64 bytes of [A-Za-z0-9_.:@-]. "0" is a valid id but, as in the
// Go system, means "none" for toUid and groupsId.
bool valid_id(std::string_view id) noexcept;

// A conversation is a pair of users ("d:<a>|<b>", the smaller id first, so
// both ends name it alike) or a room ("r:<roomId>"). Conversation ids are scoped by appId.
std::string direct_conv(std::string_view a, std::string_view b);
std::string room_conv(std::string_view room);
bool is_room_conv(std::string_view conv) noexcept;
// The room id of a room conversation; empty for a direct one.
std::string_view conv_room(std::string_view conv) noexcept;
// Whether `user` is one of the two ends of a direct conversation.
bool direct_conv_has(std::string_view conv, std::string_view user) noexcept;
// The other end of a direct conversation seen from `user`.
std::string_view direct_peer(std::string_view conv, std::string_view user) noexcept;
// Whether `conv` is a well-formed conversation id.
bool valid_conv(std::string_view conv) noexcept;

}  // namespace chorus::core
