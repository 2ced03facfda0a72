// The browser client's file map: what it reads at start-up, what it serves at which path, and the bounds and
// attacks it guards against, each test named after the attack.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "server/http/static_files.hpp"
#include "server/http/web_root.hpp"

using chat::HttpRequest;
using chat::StaticFiles;
using chat::WebRoot;
namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

// A temporary web root, removed with the object.
class TempRoot {
 public:
  TempRoot() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("chat-static-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempRoot() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  void write(const std::string& relative, const std::string& bytes) const {
    const auto file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << bytes;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

HttpRequest get(const std::string& target) {
  HttpRequest request{http::verb::get, target, 11};
  return request;
}

}  // namespace

TEST_CASE("every file under the root is served at its path, index.html also at /, typed by extension") {
  TempRoot root;
  root.write("index.html", "<!doctype html><title>chat</title>");
  root.write("style.css", "body{}");
  root.write("js/app.js", "export {};");
  root.write("img/logo.svg", "<svg/>");
  root.write("data.bin", "\x01\x02");
  const auto files = StaticFiles::load(root.path());
  CHECK(files.size() == 6);  // five files, index.html twice

  REQUIRE(files.find("/") != nullptr);
  CHECK(files.find("/")->body == "<!doctype html><title>chat</title>");
  CHECK(files.find("/")->content_type == "text/html; charset=utf-8");
  CHECK(files.find("/index.html")->body == files.find("/")->body);
  CHECK(files.find("/style.css")->content_type == "text/css; charset=utf-8");
  REQUIRE(files.find("/js/app.js") != nullptr);
  CHECK(files.find("/js/app.js")->content_type == "text/javascript; charset=utf-8");
  CHECK(files.find("/img/logo.svg")->content_type == "image/svg+xml");
  CHECK(files.find("/data.bin")->content_type == "application/octet-stream");
  CHECK(files.find("/missing.js") == nullptr);
  CHECK(files.find("/js") == nullptr);   // a folder is nothing
  CHECK(files.find("/js/") == nullptr);
}

TEST_CASE("PathTraversal: only the exact paths read at start-up are found, never a spelling resolved later") {
  TempRoot root;
  root.write("web/index.html", "page");
  root.write("secret.txt", "outside");
  const auto files = StaticFiles::load(root.path() / "web");
  for (const auto* path : {"/../secret.txt", "/%2e%2e/secret.txt", "//index.html", "/./index.html", "index.html",
                           "/index.html/", "/INDEX.HTML", "/index.html?x=1", "/index.html%00"}) {
    INFO(path);
    CHECK(files.find(path) == nullptr);
  }
  // A file added after start-up is not served either.
  root.write("web/late.js", "late");
  CHECK(files.find("/late.js") == nullptr);
}

TEST_CASE("HiddenFiles: dotfiles, dot-folders and names that are not plain URL paths are skipped") {
  TempRoot root;
  root.write("index.html", "page");
  root.write(".env", "SECRET=1");
  root.write(".git/config", "[core]");
  root.write("js/.app.js.swp", "swap");
  root.write("with space.js", "x");
  const auto files = StaticFiles::load(root.path());
  CHECK(files.size() == 2);
  CHECK(files.find("/.env") == nullptr);
  CHECK(files.find("/.git/config") == nullptr);
  CHECK(files.find("/js/.app.js.swp") == nullptr);
}

TEST_CASE("bounds: too many files, one file too large, or too many bytes in all stop the load, naming the bound") {
  TempRoot root;
  for (int i = 0; i < 5; ++i) root.write("f" + std::to_string(i) + ".txt", std::string(100, 'x'));
  CHECK_NOTHROW(StaticFiles::load(root.path(), {.max_files = 5, .max_file_bytes = 100, .max_total_bytes = 500}));
  CHECK_THROWS_WITH_AS(StaticFiles::load(root.path(), {.max_files = 4, .max_file_bytes = 100, .max_total_bytes = 500}),
                       doctest::Contains("more than 4 files"), StaticFiles::Error);
  CHECK_THROWS_WITH_AS(StaticFiles::load(root.path(), {.max_files = 5, .max_file_bytes = 99, .max_total_bytes = 500}),
                       doctest::Contains("more than 99 allowed for one file"), StaticFiles::Error);
  CHECK_THROWS_WITH_AS(StaticFiles::load(root.path(), {.max_files = 5, .max_file_bytes = 100, .max_total_bytes = 499}),
                       doctest::Contains("more than 499 bytes"), StaticFiles::Error);
}

TEST_CASE("a web root that is not a directory is a start-up error that names it and the way out") {
  TempRoot root;
  CHECK_THROWS_WITH_AS(StaticFiles::load(root.path() / "nope"),
                       doctest::Contains("is not a directory (No such file or directory); set it to the browser client's "
                                         "folder, or to \"\" to serve none"),
                       StaticFiles::Error);
}

TEST_CASE("respond: 200 with the file, its type, an ETag and no-cache; 304 without a body when it matches") {
  TempRoot root;
  root.write("app.js", "export const x = 1;");
  const auto files = StaticFiles::load(root.path());
  const auto* file = files.find("/app.js");
  REQUIRE(file != nullptr);
  auto response = StaticFiles::respond(*file, get("/app.js"));
  CHECK(response.result() == http::status::ok);
  CHECK(response.body() == "export const x = 1;");
  CHECK(response[http::field::content_type] == "text/javascript; charset=utf-8");
  CHECK(response[http::field::cache_control] == "no-cache");
  CHECK(response[http::field::content_length] == "19");
  const std::string etag(response[http::field::etag]);
  CHECK(etag.size() > 2);
  CHECK(etag.front() == '"');
  // Every answer carries the security headers.
  CHECK(response["X-Content-Type-Options"] == "nosniff");
  CHECK(response["X-Frame-Options"] == "DENY");
  CHECK(std::string(response["Content-Security-Policy"]).starts_with("default-src 'self'"));

  auto request = get("/app.js");
  request.set(http::field::if_none_match, etag);
  const auto again = StaticFiles::respond(*file, request);
  CHECK(again.result() == http::status::not_modified);
  CHECK(again.body().empty());
  CHECK(again[http::field::etag] == etag);

  request.set(http::field::if_none_match, "\"other\"");
  CHECK(StaticFiles::respond(*file, request).result() == http::status::ok);
}

TEST_CASE("the ETag follows the bytes: the same file the same tag across loads, another file another") {
  TempRoot one, two;
  one.write("a.js", "same");
  two.write("a.js", "same");
  two.write("b.js", "other");
  const auto first = StaticFiles::load(one.path());
  const auto second = StaticFiles::load(two.path());
  CHECK(first.find("/a.js")->etag == second.find("/a.js")->etag);
  CHECK(second.find("/a.js")->etag != second.find("/b.js")->etag);
}

TEST_CASE("web_root: \"\" serves nothing, a path is taken as given, auto looks beside the executable") {
  CHECK_FALSE(WebRoot::resolve("").has_value());
  CHECK(WebRoot::resolve("/srv/chat/web") == fs::path("/srv/chat/web"));
  const auto candidates = WebRoot::candidates("/opt/chat/bin/chat-server");
  REQUIRE(candidates.size() == 2);
  CHECK(candidates[0] == fs::path("/opt/chat/web"));
  CHECK(candidates[1] == fs::path("/opt/chat/share/chat-server/web"));
  CHECK(WebRoot::candidates("/home/me/chat/build/server/chat-server")[0] == fs::path("/home/me/chat/build/web"));
}
