#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

namespace chat {

// Principal ids for guests (see PrincipalId in server/storage/records.hpp):
// -(run * 2^32 + n), where the run is a number the database gives each start
// of the server once (Store::begin_run) and n counts the run's guests. So no
// two guests ever share an id, also across restarts, and none is an
// account's (accounts have users.id > 0). Thread-safe.
class GuestIds {
 public:
  // Returns a run number never returned before (> 0).
  using BeginRun = std::function<std::int64_t()>;

  // Takes the first run at once.
  explicit GuestIds(BeginRun begin_run);

  std::int64_t next();

  // Guests per run; a run that has given them all takes the next run.
  static constexpr std::int64_t kPerRun = std::int64_t{1} << 32;

 private:
  BeginRun begin_run_;
  std::mutex mutex_;
  std::int64_t run_;
  std::int64_t used_ = 0;
};

}  // namespace chat
