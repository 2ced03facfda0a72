#pragma once

#include <functional>

#include "client/line_writer.hpp"
#include "client/output_formatter.hpp"
#include "client/presenter.hpp"

namespace chat::client {

// The presenter for both modes: formats with OutputFormatter and hands the
// lines to a LineWriter (stdio for scripts, above the prompt interactively).
class TerminalOutput final : public Presenter {
 public:
  TerminalOutput(OutputFormatter formatter, LineWriter& writer, std::function<void(const std::string&)> on_room = {})
      : formatter_(formatter), writer_(writer), on_room_(std::move(on_room)) {}

  void event(const nlohmann::json& event) override;
  void reply(const nlohmann::json& request, const nlohmann::json& reply) override;
  void status(std::string_view text) override;
  void problem(std::string_view text) override;
  void room_changed(const std::string& room) override;
  void logged_in(const std::string& user) override { formatter_.set_user(user); }

 private:
  void data(const std::vector<std::string>& lines);

  OutputFormatter formatter_;
  LineWriter& writer_;
  std::function<void(const std::string&)> on_room_;
};

}  // namespace chat::client
