#include "server/auth/guest_ids.hpp"

#include <stdexcept>
#include <utility>

namespace chat {

GuestIds::GuestIds(BeginRun begin_run) : begin_run_(std::move(begin_run)), run_(begin_run_()) {
  if (run_ <= 0) throw std::logic_error("GuestIds: a run number must be positive");
}

std::int64_t GuestIds::next() {
  std::lock_guard lock(mutex_);
  if (used_ == kPerRun) {
    run_ = begin_run_();
    used_ = 0;
  }
  return -(run_ * kPerRun + used_++);
}

}  // namespace chat
