#pragma once
// A blocking TCP socket connected to 127.0.0.1, for the test clients of every protocol.

#include <cstdint>

namespace chat::test {

// The connected descriptor, owned by the caller. `source_address` (an IPv4 address, e.g. "127.0.0.2") binds
// the local end first, so a test can act as another client address. Throws std::runtime_error naming the
// failed call. `receive_buffer` (bytes, 0: the kernel's) is set before connecting, so that the window the socket
// offers stays that small.
// A port of 127.0.0.1 that was free a moment ago (the kernel's choice); another process may take it before the
// caller binds it.
std::uint16_t free_port();

int connect_loopback(std::uint16_t port, const char* source_address = nullptr, int receive_buffer = 0);

}  // namespace chat::test
