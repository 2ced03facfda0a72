#include "server/http/static_files.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

namespace chat {

namespace fs = std::filesystem;

namespace {

// FNV-1a, 64 bits: stable across runs and builds, so that a restart does not make every browser fetch
// everything again; collisions only cost a missed revalidation, never a wrong file (the size is in the tag).
std::string etag_of(const std::string& bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  std::array<char, 48> text{};
  std::snprintf(text.data(), text.size(), "\"%016llx-%zx\"", static_cast<unsigned long long>(hash), bytes.size());
  return text.data();
}

bool servable_name(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

std::string read_file(const fs::path& path, std::size_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StaticFiles::Error("http.web_root: cannot read " + path.string());
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  // A file that changed size while read is refused rather than served half.
  if (in.gcount() != static_cast<std::streamsize>(size) || in.peek() != std::char_traits<char>::eof()) {
    throw StaticFiles::Error("http.web_root: " + path.string() + " changed while it was read");
  }
  return bytes;
}

}  // namespace

std::string_view StaticFiles::content_type_for(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  }};
  const auto dot = file_name.rfind('.');
  if (dot != std::string_view::npos) {
    const auto extension = file_name.substr(dot);
    for (const auto& [suffix, type] : kTypes) {
      if (extension == suffix) return type;
    }
  }
  return "application/octet-stream";
}

StaticFiles StaticFiles::load(const fs::path& root, Limits limits) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw Error("http.web_root: '" + root.string() + "' is not a directory" + (ec ? " (" + ec.message() + ")" : "") +
                "; set it to the browser client's folder, or to \"\" to serve none");
  }
  StaticFiles files;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) throw Error("http.web_root: cannot list '" + root.string() + "': " + ec.message());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) throw Error("http.web_root: cannot list '" + root.string() + "': " + ec.message());
    const auto& entry = *it;
    const auto name = entry.path().filename().string();
    if (!servable_name(name)) {
      if (entry.is_directory(ec)) it.disable_recursion_pending();  // nor anything under it
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    if (files.files_.size() >= limits.max_files) {
      throw Error("http.web_root: more than " + std::to_string(limits.max_files) + " files under '" + root.string() +
                  "'; is it the browser client's folder?");
    }
    const auto size = entry.file_size(ec);
    if (ec) throw Error("http.web_root: cannot read " + entry.path().string() + ": " + ec.message());
    if (size > limits.max_file_bytes) {
      throw Error("http.web_root: " + entry.path().string() + " is " + std::to_string(size) + " bytes, more than " +
                  std::to_string(limits.max_file_bytes) + " allowed for one file");
    }
    if (files.total_bytes_ + size > limits.max_total_bytes) {
      throw Error("http.web_root: the files under '" + root.string() + "' hold more than " +
                  std::to_string(limits.max_total_bytes) + " bytes; is it the browser client's folder?");
    }
    File file;
    file.body = read_file(entry.path(), static_cast<std::size_t>(size));
    file.content_type = std::string(content_type_for(name));
    file.etag = etag_of(file.body);
    files.total_bytes_ += file.body.size();
    // generic_string: '/' between the parts whatever the platform, as in a URL.
    auto url = "/" + entry.path().lexically_relative(root).generic_string();
    if (url == "/index.html") files.files_.emplace("/", file);
    files.files_.emplace(std::move(url), std::move(file));
  }
  return files;
}

StaticFiles StaticFiles::load(const fs::path& root) { return load(root, Limits{}); }

const StaticFiles::File* StaticFiles::find(std::string_view path) const {
  const auto found = files_.find(std::string(path));
  return found == files_.end() ? nullptr : &found->second;
}

HttpResponse StaticFiles::respond(const File& file, const HttpRequest& request) {
  const auto version = request.version();
  const auto if_none_match = request[http::field::if_none_match];
  const bool unchanged = !if_none_match.empty() &&
                         (if_none_match == "*" || if_none_match.find(boost::beast::string_view(
                                                      file.etag.data(), file.etag.size())) != boost::beast::string_view::npos);
  auto response = unchanged ? make_response(http::status::not_modified, file.content_type, {}, version)
                            : make_response(http::status::ok, file.content_type, file.body, version);
  response.set(http::field::etag, file.etag);
  // Revalidated at each use: cheap with the ETag, and a browser never mixes modules of two releases.
  response.set(http::field::cache_control, "no-cache");
  return response;
}

}  // namespace chat
