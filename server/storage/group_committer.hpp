#pragma once
// Group commit of room messages: many producers append, one flush at a time writes everything pending in a
// single transaction, so throughput does not fall to one transaction (one WAL sync) per message.

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "common/latency_histogram.hpp"
#include "server/storage/records.hpp"

namespace chat {

class Store;

// Thread-safe.
//
// append() never does I/O and never waits for a flush in progress: it queues the message and, when no flush
// is scheduled or running, hands one to the Schedule function. The backlog is bounded: once `max_backlog`
// messages are appended and not yet completed, append() refuses (backlog_full) until a flush completes some,
// so a store slower than the senders costs bounded memory and the senders hear "overloaded" at once. At most one flush is in flight; messages
// appended meanwhile are taken by the next one, scheduled as soon as the current one ends (the flushing thread
// continues inline if that schedule is refused).
//
// The Store gives each message its room's seq inside the flush's transaction. Completions run on the flushing
// thread, in append order, after the commit or after a failure, each exactly once, with the message's
// AppendOutcome: stored (with its seq), duplicate (a client id stored before, with the original's seq; it is
// committed by then) or failed (it took no seq). When a batch fails it is retried record by record (in one
// transaction), so one bad record (e.g. an unknown room) fails alone; a batch that fails for the storage
// (StorageError::is_fault: disk full, I/O error, the database gone...) fails whole at once, as its retry would. A completion must not block for long (it delays every
// later message) and must not call close_and_drain(); it may call append().
//
// If Schedule refuses (an overloaded pool), the messages stay pending — nothing is lost and append() still
// does no I/O — and the next append(), kick() or close_and_drain() tries again. Running the flush on the
// appending thread instead would make append() do I/O and run completions inside the caller's own locks.
// A server whose pool can refuse should call kick() from a periodic timer so a quiet room's last messages
// are not left waiting for the next append.
class GroupCommitter {
 public:
  // Runs the given flush somewhere, later (the server: a pool task in concurrency class "storage").
  // Returns false if it refused the task; a task it accepted must run. Must not run the task inline.
  using Schedule = std::function<bool(std::function<void()>)>;
  using Completion = std::function<void(const AppendOutcome& outcome)>;

  struct Options {
    std::size_t max_batch = 4096;     // messages per transaction; a larger backlog takes several flushes
    std::size_t max_backlog = 16384;  // messages appended and not yet completed (the batch in flight counts)
    // Called on the flushing thread once all completions of a batch have run, before the next batch is
    // taken: a consumer that gathers outcomes in its completions acts on them once per batch (the server
    // broadcasts a room's messages of one batch together). Same rules as a completion.
    std::function<void()> after_batch = nullptr;
  };

  enum class Admission {
    accepted,      // on_done will be called once
    backlog_full,  // refused for now: max_backlog messages wait; on_done is never called
    closed,        // refused for good: close_and_drain() was called; on_done is never called
  };

  struct Stats {
    std::uint64_t appended = 0;
    std::uint64_t committed = 0;   // stored
    std::uint64_t duplicates = 0;  // retried client ids answered with the original's seq
    std::uint64_t failed = 0;
    std::uint64_t batches = 0;        // flushes that wrote something
    std::uint64_t largest_batch = 0;  // messages in the largest flush
    // Flushes by size: batch_sizes[i] counts those of 2^i to 2^(i+1) - 1 messages (the last: 2^i and more).
    static constexpr std::size_t kBatchSizeClasses = 13;
    std::array<std::uint64_t, kBatchSizeClasses> batch_sizes{};
    std::uint64_t messages_flushed = 0;  // the sizes' sum: committed + duplicates + failed
    LatencySummary commit_time;          // one flush's transaction (and its retry, if any), completions excluded
    std::uint64_t refused_schedules = 0;
    std::uint64_t refused_full = 0;  // appends refused with backlog_full
  };

  // The store must outlive the committer.
  GroupCommitter(Store& store, Schedule schedule, Options options);
  GroupCommitter(Store& store, Schedule schedule) : GroupCommitter(store, std::move(schedule), Options{}) {}
  // Drains (see close_and_drain).
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues the message (its seq is given at commit); `on_done` (may be empty) is called once it is committed
  // or has failed — only when the message was accepted.
  Admission append(MessageRecord message, Completion on_done);

  // Schedules a flush if messages are pending and none is in flight (after a refused schedule).
  void kick();

  // Between begin_gathering() and end_gathering() on one thread, a flush that this thread's appends would
  // schedule is scheduled only at the end: a reader brackets the requests of one read with them, so that a
  // client's pipelined sends commit in one batch instead of the first alone (the pool starts a flush at once
  // on another core) and the rest in the next, with their broadcasts and acknowledgements following piecemeal.
  // Nests. Nothing may wait long in between (a gathered flush holds back every later append of any thread;
  // the longest wait there is a room's first send with a client id, which loads its de-duplication window
  // with one indexed read), and the end must come on the same thread.
  static void begin_gathering() noexcept;
  static void end_gathering() noexcept;

  // Refuses new appends and returns once everything appended before has been committed or has failed and its
  // completion has run. Flushes on the calling thread whatever no scheduled flush will take. Idempotent.
  // Blocks: do not call from a completion, nor from the only thread able to run a scheduled flush.
  void close_and_drain();

  Stats stats() const;

 private:
  // Whoever sets flush_owned_ owns the right to flush until it clears it; only the owner touches batch_.
  bool dispatch() noexcept;             // hands run_scheduled_flush to schedule_; false if refused
  void release_after_refusal() noexcept;
  void run_scheduled_flush();
  bool flush_once();                    // one batch; true if more is pending (ownership kept)
  std::vector<AppendOutcome> commit_batch();  // one outcome per record of batch_records_

  Store& store_;
  Schedule schedule_;
  Options options_;

  mutable std::mutex mutex_;
  std::condition_variable idle_;  // signalled when flush_owned_ is cleared
  std::vector<MessageRecord> pending_records_;
  std::vector<Completion> pending_completions_;
  std::size_t in_flight_ = 0;  // records of the batch being flushed whose completions have not all run
  bool flush_owned_ = false;
  bool closed_ = false;
  bool refusal_logged_ = false;
  bool full_logged_ = false;
  Stats stats_;  // but commit_time, kept in commit_time_
  LatencyHistogram commit_time_;  // recorded by the flush's owner (one at a time), read by stats()

  // The batch being flushed, kept across flushes so its capacity is reused.
  std::vector<MessageRecord> batch_records_;
  std::vector<Completion> batch_completions_;
};

}  // namespace chat
