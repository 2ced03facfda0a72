#pragma once

#include <memory>
#include <shared_mutex>
#include <utility>

namespace chat {

// Holds the current version of an immutable value. Readers get a shared_ptr
// to a version that never changes under them and hold no lock while using
// it; a writer publishes a new version by exchanging the pointer.
//
// Thread-safety: load() and exchange() may be called from any thread.
// The internal lock is held only to copy or swap one shared_ptr: it never
// runs T's destructor (exchange() hands the previous version back so that
// the caller drops it when it holds no lock of its own).
//
// Why a shared_mutex and not std::atomic<std::shared_ptr>: on libstdc++ 12
// the atomic is not lock-free either (a spin bit in the pointer), measured no
// faster here (docs/benchmarks.md, "Registries"), and its load() unlocks with
// a relaxed store, which ThreadSanitizer reports as a race with the next
// writer.
template <class T>
class SharedSnapshot {
 public:
  explicit SharedSnapshot(std::shared_ptr<const T> initial) : current_(std::move(initial)) {}

  std::shared_ptr<const T> load() const {
    std::shared_lock lock(mutex_);
    return current_;
  }

  // Publishes `next`; returns the previous version.
  [[nodiscard]] std::shared_ptr<const T> exchange(std::shared_ptr<const T> next) {
    std::unique_lock lock(mutex_);
    current_.swap(next);
    return next;
  }

 private:
  mutable std::shared_mutex mutex_;
  std::shared_ptr<const T> current_;
};

}  // namespace chat
