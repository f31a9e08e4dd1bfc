#include "chorus/gateway/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace chorus::gateway {

namespace {
constexpr std::uintmax_t max_file_bytes = 8 * 1024 * 1024;

std::string_view mime_type(std::string_view path) {
  auto dot = path.rfind('.');
  auto ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

// Maps a URL path onto the web root one segment at a time, so that nothing
// in it can leave the root: no empty segments ("//" would make the rest an
// absolute path), no "." or "..", no hidden files, no backslashes or NULs.
std::optional<std::filesystem::path> map_path(const std::string& root, std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::filesystem::path p(root);
  path.remove_prefix(1);
  while (!path.empty()) {
    auto slash = path.find('/');
    auto seg = path.substr(0, slash);
    if (seg.empty() && slash != std::string_view::npos) return std::nullopt;
    if (!seg.empty()) {
      if (seg.front() == '.' || seg.find('\\') != std::string_view::npos ||
          seg.find('\0') != std::string_view::npos)
        return std::nullopt;
      p /= std::string(seg);
    }
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return p;
}
}  // namespace

std::optional<static_file> read_static(const std::string& root, std::string_view path) {
  auto mapped = map_path(root, path);
  if (!mapped) return std::nullopt;
  auto p = *mapped;
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) p /= "index.html";
  if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
  auto size = std::filesystem::file_size(p, ec);
  if (ec || size > max_file_bytes) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  return static_file{std::string(mime_type(p.string())), body.str()};
}

}  // namespace chorus::gateway
