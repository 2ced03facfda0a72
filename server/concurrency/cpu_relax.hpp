#pragma once
// Internal: the busy-wait hint used while a worker spins before sleeping. On x86 `pause` lets
// the sibling hyper-thread run and avoids the memory-order mis-speculation penalty when the
// awaited cache line changes; elsewhere it is a compiler barrier only.
// Thread-safety: stateless.

namespace chat::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  asm volatile("" ::: "memory");
#endif
}

}  // namespace chat::detail
