#include "chorus/gateway/static_files.hpp"

#include <filesystem>
#include <fstream>
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

bool safe(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  // No parent steps, no hidden files, no backslashes or NULs.
  if (path.find("/.") != std::string_view::npos) return false;
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) return false;
  return true;
}
}  // namespace

std::optional<static_file> read_static(const std::string& root, std::string_view path) {
  if (!safe(path)) return std::nullopt;
  std::filesystem::path p = std::filesystem::path(root) / std::string(path.substr(1));
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
