#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace chat::test {

using namespace std::chrono_literals;

// An HTTP/1.1 answer as the test read it off the wire.
struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string{} : found->second;
  }
};

// A raw HTTP connection over a real socket, for the operator endpoints' tests: it sends exactly the bytes it
// is given, so that a test can send what no well-behaved client would.
class HttpConnection {
 public:
  // source_address: the local loopback address to connect from (127.0.0.x).
  explicit HttpConnection(std::uint16_t port, const char* source_address = nullptr);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // False once the server closed or reset the connection (the bytes may not all have gone).
  bool send_raw(std::string_view bytes);
  // A GET with Host, kept alive unless `close`.
  bool get(std::string_view path, bool close = false);
  // The next answer (header and Content-Length body), or nullopt on timeout or close.
  std::optional<HttpAnswer> read_answer(std::chrono::milliseconds timeout = 5s);
  // True if the server closed (or reset) the connection within the timeout; bytes read meanwhile are kept.
  bool wait_closed(std::chrono::milliseconds timeout = 5s);
  // Bytes received and not yet taken by read_answer (e.g. the answer to a HEAD, which has no body to count).
  const std::string& unread() const noexcept { return buffer_; }

 private:
  // Reads what is there within the timeout; false on close, reset or timeout.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
};

// One GET on a fresh connection (Connection: close); throws when no answer comes.
HttpAnswer http_get(std::uint16_t port, std::string_view path, const char* source_address = nullptr);

}  // namespace chat::test
