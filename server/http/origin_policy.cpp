#include "server/http/origin_policy.hpp"

#include <algorithm>
#include <cctype>

namespace chat {

namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The host[:port] of an origin, or empty when it is not one.
std::string_view authority(std::string_view origin) {
  const auto separator = origin.find("://");
  if (separator == std::string_view::npos || separator == 0) return {};
  const auto scheme = origin.substr(0, separator);
  const auto scheme_char = [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; };
  if (!std::all_of(scheme.begin(), scheme.end(), scheme_char)) {
    return {};
  }
  const auto rest = origin.substr(separator + 3);
  if (rest.empty()) return {};
  // Nothing but the authority: no path, query, fragment or user information, no spaces.
  const bool plain = std::all_of(rest.begin(), rest.end(), [](unsigned char c) {
    return c > ' ' && c < 0x7f && c != '/' && c != '?' && c != '#' && c != '@';
  });
  return plain ? rest : std::string_view{};
}

}  // namespace

bool is_web_origin(std::string_view text) { return !authority(text).empty(); }

OriginPolicy::OriginPolicy(std::vector<std::string> allowed) {
  for (const auto& origin : allowed) allowed_.push_back(lowercase(origin));
}

bool OriginPolicy::allows(bool has_origin, std::string_view origin, std::string_view host) const {
  if (!has_origin) return true;
  const auto wanted = lowercase(origin);
  if (!allowed_.empty()) return std::find(allowed_.begin(), allowed_.end(), wanted) != allowed_.end();
  // Same origin: "null" (a sandboxed page, a file) and anything malformed have no authority and never match.
  const auto own = authority(wanted);
  return !own.empty() && !host.empty() && own == lowercase(host);
}

}  // namespace chat
