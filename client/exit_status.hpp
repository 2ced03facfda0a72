#pragma once

namespace chat::client {

// The exit status of chat-client, documented in docs/client.md.
enum ExitStatus : int {
  kExitOk = 0,             // every command succeeded
  kExitCommandFailed = 1,  // a command failed: an error reply, a usage error, a timeout
  kExitUsage = 2,          // bad flags, config file or password file
  kExitConnection = 3,     // could not connect, or lost the connection for good
  kExitAuth = 4,           // the server refused the login
};

}  // namespace chat::client
