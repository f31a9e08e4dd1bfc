// Static files of the web UI from the web root: safe path mapping (no "..",
// no hidden files), content types by extension, a size bound. Any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chorus::gateway {

struct static_file {
  std::string content_type;
  std::string body;
};

// `path` is the URL path ("/home/index.html"); nullopt if not found or unsafe.
std::optional<static_file> read_static(const std::string& root, std::string_view path);

}  // namespace chorus::gateway
