#pragma once
// Internal: which pool, if any, owns the current thread. Lets blocking calls refuse to wait on
// the pool that is running them. Thread-safety: thread-local.

namespace chat::detail {

const void* current_pool() noexcept;
void set_current_pool(const void* pool) noexcept;

inline bool on_worker_of(const void* pool) noexcept { return pool != nullptr && current_pool() == pool; }

}  // namespace chat::detail
