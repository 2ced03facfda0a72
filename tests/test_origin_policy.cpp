// Which pages may open /ws (OriginPolicy) and what http.allowed_origins takes (is_web_origin): the rules
// against cross-site WebSocket hijacking, without a server.
#include <doctest/doctest.h>

#include "server/http/origin_policy.hpp"

using chat::is_web_origin;
using chat::OriginPolicy;

TEST_CASE("CrossSiteWebSocketHijacking: by default only the server's own origin, and clients without Origin, pass") {
  const OriginPolicy policy({});
  CHECK(policy.allows(false, "", "chat.example.org"));  // no browser
  CHECK(policy.allows(true, "https://chat.example.org", "chat.example.org"));
  CHECK(policy.allows(true, "http://127.0.0.1:8080", "127.0.0.1:8080"));
  CHECK(policy.allows(true, "HTTPS://Chat.Example.ORG", "chat.example.org"));  // hosts have no case
  CHECK_FALSE(policy.allows(true, "https://evil.example", "chat.example.org"));
  CHECK_FALSE(policy.allows(true, "http://127.0.0.1:9999", "127.0.0.1:8080"));  // another port is another site
  CHECK_FALSE(policy.allows(true, "https://chat.example.org.evil.example", "chat.example.org"));
  CHECK_FALSE(policy.allows(true, "null", "chat.example.org"));  // a sandboxed page or a file
  CHECK_FALSE(policy.allows(true, "", "chat.example.org"));
  CHECK_FALSE(policy.allows(true, "https://chat.example.org", ""));  // no Host to compare with
  CHECK_FALSE(policy.allows(true, "https://user@chat.example.org", "chat.example.org"));
}

TEST_CASE("DnsRebinding: a listener on loopback takes, without an allow-list, only loopback names") {
  const OriginPolicy policy({}, /*loopback=*/true);
  // A foreign site whose name now points at 127.0.0.1: Host and Origin agree, and it is still refused.
  CHECK_FALSE(policy.allows(true, "http://rebind.example:8080", "rebind.example:8080"));
  CHECK_FALSE(policy.allows(true, "http://127.0.0.1.rebind.example:8080", "127.0.0.1.rebind.example:8080"));
  CHECK_FALSE(policy.allows(true, "http://localhost.rebind.example", "localhost.rebind.example"));
  CHECK(policy.allows(true, "http://127.0.0.1:8080", "127.0.0.1:8080"));
  CHECK(policy.allows(true, "http://127.1.2.3:8080", "127.1.2.3:8080"));
  CHECK(policy.allows(true, "http://localhost:8080", "localhost:8080"));
  CHECK(policy.allows(true, "http://chat.localhost:8080", "chat.localhost:8080"));
  CHECK(policy.allows(true, "http://[::1]:8080", "[::1]:8080"));
  CHECK(policy.allows(false, "", "rebind.example:8080"));  // no browser page
  // An allow-list is the operator's word: a proxy's public name passes.
  const OriginPolicy listed({"https://chat.example.org"}, /*loopback=*/true);
  CHECK(listed.allows(true, "https://chat.example.org", "127.0.0.1:8080"));
  // A listener on another address compares Host alone, as before.
  CHECK(OriginPolicy({}, false).allows(true, "http://chat.example.org", "chat.example.org"));
}

TEST_CASE("DnsRebinding: what the server says of itself answers on loopback only to loopback names") {
  const OriginPolicy policy({}, /*loopback=*/true);
  CHECK(policy.allows_host("127.0.0.1:8080"));
  CHECK(policy.allows_host("localhost:8080"));
  CHECK(policy.allows_host("LOCALHOST"));
  CHECK(policy.allows_host("[::1]:8080"));
  CHECK(policy.allows_host(""));  // no Host: no browser
  CHECK_FALSE(policy.allows_host("rebind.example:8080"));
  CHECK_FALSE(policy.allows_host("127.0.0.1.rebind.example"));
  // A reverse proxy's site, listed for the browser client, passes with its public name.
  const OriginPolicy listed({"https://chat.example.org"}, /*loopback=*/true);
  CHECK(listed.allows_host("chat.example.org"));
  CHECK_FALSE(listed.allows_host("other.example.org"));
  CHECK(listed.allows_host("Chat.Example.org"));
  CHECK(listed.allows_host("chat.example.org:443"));  // the default port, as a proxy may pass it
  CHECK_FALSE(listed.allows_host("chat.example.org:8443"));
  CHECK(policy.allows_host("localhost.:8080"));  // a fully qualified name
  CHECK(policy.allows_host("127.0.0.1."));
  // A listener on another address takes any name: its clients reach it by its public one.
  CHECK(OriginPolicy({}, false).allows_host("chat.example.org"));
}

TEST_CASE("http.allowed_origins: exactly the listed origins, the server's own no longer") {
  const OriginPolicy policy({"https://Chat.example.org", "https://app.example.org:8443"});
  CHECK(policy.allows(true, "https://chat.example.org", "backend:8080"));
  CHECK(policy.allows(true, "https://app.example.org:8443", "backend:8080"));
  CHECK(policy.allows(false, "", "backend:8080"));
  CHECK_FALSE(policy.allows(true, "http://chat.example.org", "backend:8080"));  // another scheme
  CHECK_FALSE(policy.allows(true, "https://app.example.org", "backend:8080"));  // another port
  CHECK_FALSE(policy.allows(true, "http://backend:8080", "backend:8080"));
}

TEST_CASE("is_web_origin: scheme://host[:port], nothing more") {
  CHECK(is_web_origin("https://chat.example.org"));
  CHECK(is_web_origin("http://127.0.0.1:8080"));
  CHECK(is_web_origin("http://[::1]:8080"));
  CHECK_FALSE(is_web_origin("chat.example.org"));
  CHECK_FALSE(is_web_origin("https://chat.example.org/"));
  CHECK_FALSE(is_web_origin("https://chat.example.org/path"));
  CHECK_FALSE(is_web_origin("https://"));
  CHECK_FALSE(is_web_origin("*"));
  CHECK_FALSE(is_web_origin("null"));
  CHECK_FALSE(is_web_origin("https://a b"));
}
