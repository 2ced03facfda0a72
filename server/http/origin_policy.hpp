#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chat {

// True for a web origin as a browser sends it in `Origin`: scheme "://" host [":" port], no path, no user.
bool is_web_origin(std::string_view text);

// Which pages may open a chat connection over a WebSocket (GET /ws): the guard against cross-site WebSocket
// hijacking, where a page on another site makes a visitor's browser connect. A request without `Origin`
// comes from no browser page (a command-line client, the load tester) and is let in: it carries no one
// else's credentials. With an allow-list (http.allowed_origins) only the listed origins pass, compared
// without regard to case; without one, only the server's own pages: an origin whose host[:port] is the
// request's `Host`.
// A listener on a loopback address (`loopback`) takes, without an allow-list, only pages whose host is a
// loopback name (localhost, *.localhost, 127.x.x.x, [::1]): against DNS rebinding, where a page of another
// site, its name pointed at 127.0.0.1 after it loaded, is "same origin" with Host and Origin both its own
// name, and would reach a server that only this machine was meant to reach. Immutable after construction,
// so safe from any thread.
class OriginPolicy {
 public:
  explicit OriginPolicy(std::vector<std::string> allowed, bool loopback = false);

  // `origin`: the request's Origin header when it has one (has_origin); `host`: its Host header.
  bool allows(bool has_origin, std::string_view origin, std::string_view host) const;

  // Whether a request with this `Host` may read what the listener says about the server (/ready, /metrics).
  // On a loopback listener only a loopback name, or the host of an allowed origin (a reverse proxy's site),
  // or none (no browser omits it): a DNS-rebinding page's script asks with its own name. Any host elsewhere.
  bool allows_host(std::string_view host) const;

 private:
  std::vector<std::string> allowed_;  // lowercase
  bool loopback_;
};

}  // namespace chat
