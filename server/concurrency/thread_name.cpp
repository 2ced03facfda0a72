#include "server/concurrency/thread_name.hpp"

#include <pthread.h>

#include <array>

namespace chat {

void set_current_thread_name(const std::string& name) noexcept {
  constexpr std::size_t kMax = 15;
  const std::string cut = name.substr(0, kMax);
  pthread_setname_np(pthread_self(), cut.c_str());
}

std::string current_thread_name() {
  std::array<char, 16> buf{};
  if (pthread_getname_np(pthread_self(), buf.data(), buf.size()) != 0) return {};
  return std::string(buf.data());
}

}  // namespace chat
