#pragma once
// Keeping a real server busy for seconds on purpose: a few log-ins whose password hashes are made slow, so that
// a shutdown drains long enough for a test to look at the server meanwhile.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/test_client.hpp"

namespace chat::test {

// An "auth" section whose password hashes take about a second each on the one hash worker.
inline nlohmann::json slow_password_hashes() { return {{"hash_ops_limit", 3}, {"hash_mem_limit_kib", 128 * 1024}}; }

// Sends `count` registrations to a server on slow_password_hashes() and gives them time to reach the worker
// pool: a SIGTERM sent after this drains for seconds. The clients must be kept until the test is done.
inline std::vector<std::unique_ptr<TestClient>> keep_hashing(std::uint16_t port, int count = 4) {
  std::vector<std::unique_ptr<TestClient>> registering;
  for (int i = 0; i < count; ++i) {
    registering.push_back(std::make_unique<TestClient>(port));
    registering.back()->send({{"op", "register"}, {"name", "user" + std::to_string(i)}, {"password", "password123"}});
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return registering;
}

}  // namespace chat::test
