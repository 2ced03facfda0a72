#include "loadtest/topology.hpp"

namespace chat::loadtest {

Topology::Topology(const LoadOptions& options, unsigned workers, std::string run_tag)
    : options_(options), workers_(workers == 0 ? 1 : workers), run_tag_(std::move(run_tag)) {}

Topology::Member Topology::member(unsigned index) const noexcept {
  if (options_.rooms == 0) return {index, -1, index, false};
  const unsigned rank = index / options_.rooms;
  return {index, static_cast<int>(index % options_.rooms), rank, rank < options_.senders};
}

unsigned Topology::worker_of(unsigned index) const noexcept {
  const unsigned rank = options_.rooms == 0 ? index : index / options_.rooms;
  return rank % workers_;
}

std::vector<Topology::Member> Topology::members_of_worker(unsigned worker) const {
  std::vector<Member> members;
  members.reserve(options_.connections / workers_ + options_.rooms + 1);
  for (unsigned i = 0; i < options_.connections; ++i) {
    if (worker_of(i) == worker) members.push_back(member(i));
  }
  return members;
}

unsigned Topology::senders_in_worker(unsigned worker) const {
  unsigned count = 0;
  for (const auto& m : members_of_worker(worker)) count += m.sender ? 1 : 0;
  return count;
}

unsigned Topology::total_senders() const noexcept { return options_.rooms * options_.senders; }

double Topology::rate_of_worker(unsigned worker) const {
  const unsigned total = total_senders();
  if (total == 0) return 0;
  return options_.rate * senders_in_worker(worker) / total;
}

unsigned Topology::churners_in_worker(unsigned worker) const noexcept {
  return options_.churners / workers_ + (worker < options_.churners % workers_ ? 1 : 0);
}

unsigned Topology::streams_per_room() const noexcept {
  return options_.protocol == Protocol::Redis ? options_.senders : 1;
}

unsigned Topology::streams() const noexcept { return options_.rooms * streams_per_room(); }

unsigned Topology::first_stream_of_room(unsigned room) const noexcept { return room * streams_per_room(); }

std::string Topology::room_name(unsigned room) const {
  return options_.name_prefix + "r" + run_tag_ + "_" + std::to_string(room);
}

// Guest names carry the run's tag like the rooms do: a guest name is taken
// while any connection holds it, and the server may still be closing the
// connections of an earlier run when the next one logs in.
std::string Topology::guest_name(unsigned worker, unsigned index) const {
  return options_.name_prefix + run_tag_ + "_" + std::to_string(worker) + "_" + std::to_string(index);
}

// The cycle number wraps at kChurnCycleNames to keep the name within the
// 32-character limit; two cycles of one churner that far apart never overlap.
std::string Topology::churner_name(unsigned worker, unsigned churner, std::uint64_t cycle) const {
  return options_.name_prefix + run_tag_ + "_" + std::to_string(worker) + "c" + std::to_string(churner) + "_" +
         std::to_string(cycle % kChurnCycleNames);
}

}  // namespace chat::loadtest
