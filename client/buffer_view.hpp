#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "client/buffer_control.hpp"
#include "client/buffer_list.hpp"
#include "client/buffer_log.hpp"
#include "client/output_formatter.hpp"
#include "client/presenter.hpp"

namespace chat::client {

class ReadlinePrompt;

struct BufferViewOptions {
  bool bell = true;                                         // BEL on a highlight in a buffer not shown
  std::size_t scrollback = BufferList::kDefaultScrollback;  // lines kept per buffer
  std::string log_dir;                                      // --log-dir; "" logs nothing
};

// The interactive client's screen, in buffers as irssi's windows: each room
// and each conversation has its own, with its scrollback; only the buffer
// shown prints. The prompt is the status line, "[2:#general] 3:#dev(4)> ":
// part of readline's own prompt, so readline redraws it with the input line
// whenever anything prints, and nothing else on the screen has to be kept
// in place (see docs/client.md).
//
// Where lines go: a room's messages, presence and topics to its buffer; a
// direct message to the buffer of the other user; replies to the room they
// are about (join) or conversation (dm), else to the buffer shown,
// where the command was typed; the link's own notes (connecting, logging
// in, reconnecting) and server notices to the status buffer (1).
//
// Single-threaded, like the rest of the client: used on the io_context.
class BufferView final : public Presenter, public BufferControl {
 public:
  BufferView(OutputFormatter formatter, ReadlinePrompt& screen, BufferViewOptions options);
  ~BufferView() override;

  // Presenter, for the ServerLink.
  void event(const nlohmann::json& event) override;
  void reply(const nlohmann::json& request, const nlohmann::json& reply) override;
  void status(std::string_view text) override;
  void problem(std::string_view text) override;
  void room_changed(const std::string& room) override;
  void logged_in(const std::string& user) override;

  // A presenter whose notes go to the buffer shown: for the commands typed
  // there (usage errors, /help), which belong next to what was typed.
  Presenter& shown() { return shown_; }

  // BufferControl, for the commands.
  ChatTarget chat_target() const override;
  bool show(std::size_t number) override;
  void show_next() override;
  void show_previous() override;
  void list() override;
  void query(const std::string& user) override;
  void close_conversation() override;

  // Called with the room now shown when a room's buffer is chosen by
  // number, so the link's current room (the default of /who, /topic...)
  // follows what is on the screen.
  void set_on_room_shown(std::function<void(const std::string&)> on_room_shown) {
    on_room_shown_ = std::move(on_room_shown);
  }

  const BufferList& buffers() const noexcept { return buffers_; }

 private:
  class Shown final : public Presenter {
   public:
    explicit Shown(BufferView& view) : view_(view) {}
    void event(const nlohmann::json& event) override { view_.event(event); }
    void reply(const nlohmann::json& request, const nlohmann::json& reply) override { view_.reply(request, reply); }
    void status(std::string_view text) override;
    void problem(std::string_view text) override;

   private:
    BufferView& view_;
  };

  void add(std::size_t number, const std::string& line, Activity activity);
  void add_all(std::size_t number, const std::vector<std::string>& lines, Activity activity);
  void repaint();
  void update_prompt();
  std::size_t room_buffer(const std::string& room);
  std::size_t dm_buffer(const std::string& user);
  Activity message_activity(const nlohmann::json& message) const;

  OutputFormatter formatter_;
  ReadlinePrompt& screen_;
  BufferViewOptions options_;
  BufferList buffers_;
  std::unique_ptr<BufferLog> log_;
  Shown shown_{*this};
  std::string user_;
  std::function<void(const std::string&)> on_room_shown_;
};

}  // namespace chat::client
