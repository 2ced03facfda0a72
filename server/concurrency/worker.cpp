
#include "server/concurrency/worker.hpp"

namespace chat::detail {
namespace {
thread_local const void* tl_pool = nullptr;
}

const void* current_pool() noexcept { return tl_pool; }
void set_current_pool(const void* pool) noexcept { tl_pool = pool; }

}  // namespace chat::detail
