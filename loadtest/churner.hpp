#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include <memory>

#include "loadtest/member.hpp"

namespace chat::loadtest {

// A user who keeps coming and going: connect, log in as a fresh guest, join a
// random room, stay hold_ms, leave, disconnect, and again, until stopped. Its
// rooms' members see the presence traffic while they chat; the churner reads
// but does not check the messages it gets. On Redis a cycle is connect,
// SUBSCRIBE, stay, UNSUBSCRIBE, disconnect (there is no log-in).
class Churner final : private Member::Listener {
 public:
  using NameOf = std::function<std::string(std::uint64_t cycle)>;
  using RoomOf = std::function<std::string(unsigned room)>;

  Churner(RunContext& context, NameOf name_of, RoomOf room_of, unsigned rooms, unsigned hold_ms,
          std::uint32_t seed);

  void start();
  void stop();

 private:
  void on_ready(Member& member) override;
  void on_closed(Member& member, bool was_ready) override;
  void on_left(Member& member) override;
  void begin_cycle();
  void after(std::uint64_t delay_ms, void (Churner::*step)());
  void leave_room();

  RunContext& context_;
  NameOf name_of_;
  RoomOf room_of_;
  unsigned rooms_;
  unsigned hold_ms_;
  std::mt19937 random_;
  std::unique_ptr<Member> session_;
  boost::asio::steady_timer timer_;
  std::uint64_t cycle_ = 0;
  bool running_ = false;
};

}  // namespace chat::loadtest
