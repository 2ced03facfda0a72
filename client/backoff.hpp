#pragma once

#include <chrono>
#include <functional>
#include <optional>

namespace chat::client {

struct BackoffPolicy {
  std::chrono::milliseconds initial{500};
  // Low, so that a server restarting in seconds is back in use within about
  // one more delay: after 10 s down the next try is at most 6 s away.
  std::chrono::milliseconds max{5'000};
  double factor = 2.0;
  // Each delay is spread by up to ±jitter of itself, so that clients dropped
  // together by a server restart do not all come back in the same instant.
  double jitter = 0.2;
  int max_attempts = 0;  // 0: never give up
};

// Exponential back-off between reconnect attempts.
class Backoff {
 public:
  // `random` returns a number in [0, 1); tests pass a fixed one.
  explicit Backoff(BackoffPolicy policy, std::function<double()> random = {});

  // The delay before the next attempt, or nullopt when the attempts are used up.
  std::optional<std::chrono::milliseconds> next_delay();

  // A connection succeeded: the next failure starts from the initial delay.
  void reset() noexcept;

  int attempts() const noexcept { return attempts_; }

 private:
  BackoffPolicy policy_;
  std::function<double()> random_;
  int attempts_ = 0;
};

}  // namespace chat::client
