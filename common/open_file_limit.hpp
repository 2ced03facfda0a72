#pragma once

#include <cstdint>

namespace chat {

// Raises this process's soft limit on open files to its hard limit (a socket
// is a file) and returns the soft limit in force afterwards; 0 when unknown.
std::uint64_t raise_open_file_limit() noexcept;

}  // namespace chat
