#include "loadtest/topology.hpp"

namespace chat::loadtest {

Topology::Topology(const LoadOptions& options, unsigned workers, std::string room_tag)
    : options_(options), workers_(workers == 0 ? 1 : workers), room_tag_(std::move(room_tag)) {}

Topology::Member Topology::member(unsigned index) const noexcept {
  if (options_.rooms == 0) return {index, -1, false};
  const unsigned rank = index / options_.rooms;
  return {index, static_cast<int>(index % options_.rooms), rank < options_.senders};
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

std::string Topology::room_name(unsigned room) const {
  return options_.name_prefix + "r" + room_tag_ + "_" + std::to_string(room);
}

std::string Topology::guest_name(unsigned worker, unsigned index) const {
  return options_.name_prefix + std::to_string(worker) + "_" + std::to_string(index);
}

std::string Topology::churner_name(unsigned worker, unsigned churner, std::uint64_t cycle) const {
  return options_.name_prefix + std::to_string(worker) + "_c" + std::to_string(churner) + "_" +
         std::to_string(cycle);
}

}  // namespace chat::loadtest
