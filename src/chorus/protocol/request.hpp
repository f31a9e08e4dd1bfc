// Parsing of a client frame into the request envelope
//   {"seq": "...", "action": "...", "data": {...}}
// with bounded JSON depth and strict UTF-8. Pure: no I/O, any thread.
#pragma once

#include "chorus/core/codes.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace chorus::protocol {

inline constexpr std::size_t max_json_depth = 16;
inline constexpr std::size_t max_seq_length = 128;
inline constexpr std::size_t max_action_length = 32;

struct request {
  std::string seq;
  std::string action;
  boost::json::object data;  // empty when the frame has no "data"
};

struct parse_result {
  core::code code = core::code::ok;  // ok: `req` is valid
  std::string error;                 // why not, for the error response
  request req;                       // seq/action filled as far as they were readable
};

parse_result parse_request(std::string_view frame);

}  // namespace chorus::protocol
