#include "loadtest/churner.hpp"

#include <chrono>

#include "loadtest/clock.hpp"

namespace chat::loadtest {
namespace {

// After a failed cycle: a pause, so that a refusing server is not hammered in a tight loop.
constexpr std::uint64_t kRetryDelayMs = 50;

}  // namespace

Churner::Churner(RunContext& context, NameOf name_of, RoomOf room_of, unsigned rooms, unsigned hold_ms,
                 std::uint32_t seed)
    : context_(context),
      name_of_(std::move(name_of)),
      room_of_(std::move(room_of)),
      rooms_(rooms),
      hold_ms_(hold_ms),
      random_(seed),
      session_(make_member(context, *this)),
      timer_(context.io) {}

void Churner::start() {
  running_ = true;
  begin_cycle();
}

void Churner::stop() {
  running_ = false;
  timer_.cancel();
  session_->close();
}

void Churner::begin_cycle() {
  if (!running_) return;
  const unsigned room = std::uniform_int_distribution<unsigned>(0, rooms_ - 1)(random_);
  session_->start({name_of_(cycle_++), room_of_(room), -1, false});
}

void Churner::after(std::uint64_t delay_ms, void (Churner::*step)()) {
  timer_.expires_after(std::chrono::milliseconds(delay_ms));
  timer_.async_wait([this, step](const boost::system::error_code& error) {
    if (!error && running_) (this->*step)();
  });
}

void Churner::leave_room() { session_->leave(); }

void Churner::on_ready(Member& /*member*/) { after(hold_ms_, &Churner::leave_room); }

void Churner::on_left(Member& /*member*/) {
  session_->close();
  ++context_.stats.churn_cycles;
  if (context_.window.contains(now_us())) ++context_.stats.churn_cycles_measured;
  after(0, &Churner::begin_cycle);
}

void Churner::on_closed(Member& /*member*/, bool /*was_ready*/) {
  if (!running_) return;
  ++context_.stats.churn_failures;
  after(kRetryDelayMs, &Churner::begin_cycle);
}

}  // namespace chat::loadtest
