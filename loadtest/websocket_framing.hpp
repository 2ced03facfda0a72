#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chat::loadtest {

// The client's side of the chat protocol over a WebSocket (--transport ws; the server's GET /ws): the upgrade
// request and its answer, then each request line out as one masked text message and each text message in
// as a line. Only what this server sends is understood: text messages (fragmented or not), ping, pong and
// close; a binary message is malformed. A codec only: no I/O, so a connection may reset() it and start
// again. Single-threaded, like the connection that owns it.
class WebSocketFraming {
 public:
  // host: the Host header ("127.0.0.1:8080").
  explicit WebSocketFraming(std::string host);

  enum class Result {
    Ok,
    Closed,     // the server's close frame
    Refused,    // the upgrade was not accepted
    Malformed,  // a frame this client does not take
  };

  // For a new connection: the handshake is ahead, nothing is buffered.
  void reset();
  std::string upgrade_request() const;
  bool is_open() const noexcept { return open_; }

  // Takes bytes read from the socket: appends to `lines` the text of every message they complete, each
  // followed by '\n', and to `replies` what must be sent back (a pong). Bytes past a close are ignored.
  Result take(std::string_view bytes, std::string& lines, std::string& replies);

  // Appends each '\n'-ended line of `text` as one masked text message to `out` (the '\n' is not sent).
  void encode(std::string_view text, std::string& out);

 private:
  void append_frame(std::uint8_t opcode, std::string_view payload, std::string& out);

  std::string host_;
  bool open_ = false;
  std::string input_;    // bytes of an unfinished header or frame
  std::string message_;  // a fragmented message's text so far
  std::uint32_t mask_seed_ = 0x9e3779b9u;
};

}  // namespace chat::loadtest
