#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/http/http_response.hpp"

namespace chat {

// The browser client's files, read into memory once at start-up and served from there: a request's path is
// looked up exactly in a map of the files found, never joined to a directory or resolved, so no request can
// reach a file outside the web root ("/../x", "%2e%2e", a symlink made later) or one added after start-up.
// "/" is index.html. Each file has its content type by extension and an ETag of its bytes; responses say
// `Cache-Control: no-cache`, so a browser revalidates (a 304 without a body) and never runs a stale module
// after an upgrade.
//
// Immutable once loaded: find() and respond() are safe from any thread at once.
class StaticFiles {
 public:
  // Bounds on what load() takes into memory: a web root pointed by mistake at "/" or a home directory fails
  // start-up with a message naming the bound, instead of reading gigabytes.
  struct Limits {
    std::size_t max_files = 1000;
    std::size_t max_file_bytes = 8 * 1024 * 1024;
    std::size_t max_total_bytes = 32 * 1024 * 1024;
  };

  struct File {
    std::string body;
    std::string content_type;
    std::string etag;  // quoted, as sent: "\"<fnv-1a of the bytes>-<size>\""
  };

  // Thrown by load(), naming the web root or the file and what is wrong with it.
  class Error : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
  };

  // Reads every regular file under `root`, in subdirectories too; names starting with '.' (editor and VCS
  // leftovers) and names with characters other than A-Z a-z 0-9 . _ - are skipped, so that every URL path
  // is its file's path as written. Throws Error when root is not a readable directory, a file cannot be read,
  // or a bound is passed.
  static StaticFiles load(const std::filesystem::path& root, Limits limits);
  static StaticFiles load(const std::filesystem::path& root);  // with the default Limits
  // An empty map (nothing served), for tests.
  StaticFiles() = default;

  // The file served at a URL path ("/", "/js/app.js"), or null. The path is matched as given: no query
  // string, no decoding.
  const File* find(std::string_view path) const;

  // 200 with the file (or 304 when the request's If-None-Match names its ETag), with the file's type.
  static HttpResponse respond(const File& file, const HttpRequest& request);

  std::size_t size() const noexcept { return files_.size(); }
  std::size_t total_bytes() const noexcept { return total_bytes_; }

  // The Content-Type for a file name's extension (application/octet-stream for one not known).
  static std::string_view content_type_for(std::string_view file_name);

 private:
  std::unordered_map<std::string, File> files_;  // by URL path
  std::size_t total_bytes_ = 0;
};

}  // namespace chat
