#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/load_options.hpp"

namespace chat::loadtest {

// Who is who in a run, computed the same way by the parent and every worker
// from the options alone. Connection i belongs to room i % R and has rank
// i / R in it; the first S ranks send. Ranks are dealt to workers in turn, so
// every room has members (and, when S >= workers, senders) in every worker and
// deliveries cross process boundaries. Room and guest names carry the run's
// tag, so that no two runs share a room or a guest name.
//
// Loss and order are checked on numbered streams of messages: in chat mode
// one per room (the server's seq), in Redis mode one per sender (the seq in
// its stamps), numbered room * senders + rank.
class Topology {
 public:
  struct Member {
    unsigned index = 0;
    int room = -1;  // -1: no room (login-only run)
    unsigned rank = 0;  // its place in its room; the first S send
    bool sender = false;
  };

  // Churner names repeat after this many cycles (see churner_name).
  static constexpr std::uint64_t kChurnCycleNames = 10'000'000;

  // run_tag: at most kMaxRunTagChars characters, different in every run.
  Topology(const LoadOptions& options, unsigned workers, std::string run_tag);

  unsigned workers() const noexcept { return workers_; }
  unsigned worker_of(unsigned index) const noexcept;
  std::vector<Member> members_of_worker(unsigned worker) const;
  unsigned senders_in_worker(unsigned worker) const;
  unsigned total_senders() const noexcept;
  // Open loop: this worker's share of the aggregate rate, by its senders.
  double rate_of_worker(unsigned worker) const;
  // Churners are dealt to workers in turn too.
  unsigned churners_in_worker(unsigned worker) const noexcept;

  // The numbered streams of the run, and the first a member of `room` receives.
  unsigned streams() const noexcept;
  unsigned first_stream_of_room(unsigned room) const noexcept;
  // How many streams a member of a room receives: 1, or the room's senders.
  unsigned streams_per_room() const noexcept;

  std::string room_name(unsigned room) const;
  std::string guest_name(unsigned worker, unsigned index) const;
  std::string churner_name(unsigned worker, unsigned churner, std::uint64_t cycle) const;

 private:
  Member member(unsigned index) const noexcept;

  LoadOptions options_;
  unsigned workers_;
  std::string run_tag_;
};

}  // namespace chat::loadtest
