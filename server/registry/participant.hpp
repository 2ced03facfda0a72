#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace chat {

// A connected session as the registries see it. The registries never touch a
// socket: they only hold participants and hand them frames.
//
// Contract for implementations:
//  - connection_id() is unique among live connections and constant for the
//    participant's lifetime (the registries cache it).
//  - deliver() is thread-safe, never blocks and does not throw; a slow consumer
//    is dealt with (dropped frames, disconnect) by the participant itself. It
//    says whether the frame was queued, so that a caller owing delivery of a
//    stored message (a direct message) knows whether it still owes it.
//  - The registries never call deliver() nor release their last reference to
//    a participant while holding one of their locks, so deliver() and the
//    destructor may call back into any registry.
class Participant {
 public:
  virtual ~Participant() = default;

  virtual std::uint64_t connection_id() const noexcept = 0;

  // Queues one serialized frame for this connection; shared so that one
  // serialization serves every recipient of a broadcast. False when it was
  // dropped: the connection is closed or closing, or the frame would have
  // overfilled its queue (which closes it).
  virtual bool deliver(std::shared_ptr<const std::string> frame) = 0;
};

using ParticipantPtr = std::shared_ptr<Participant>;

}  // namespace chat
