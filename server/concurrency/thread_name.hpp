#pragma once
// Names the calling thread so it shows in top/gdb/perf. Thread-safety: affects the caller only.

#include <string>

namespace chat {

// Linux keeps 15 characters; longer names are cut. Failure is harmless and ignored.
void set_current_thread_name(const std::string& name) noexcept;
std::string current_thread_name();

}  // namespace chat
