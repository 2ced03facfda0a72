#include "server/storage/group_committer.hpp"

#include <bit>
#include <chrono>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <iterator>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "server/storage/storage_error.hpp"
#include "server/storage/store.hpp"

namespace chat {

namespace {
// This thread's gathering (begin_gathering): its depth, and the committers whose flush it holds back.
struct Gathering {
  int depth = 0;
  std::vector<GroupCommitter*> held;
};
thread_local Gathering t_gathering;
}  // namespace

GroupCommitter::GroupCommitter(Store& store, Schedule schedule, Options options)
    : store_(store), schedule_(std::move(schedule)), options_(std::move(options)) {
  options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
  options_.max_backlog = std::max<std::size_t>(options_.max_backlog, 1);
}

GroupCommitter::~GroupCommitter() { close_and_drain(); }

GroupCommitter::Admission GroupCommitter::append(MessageRecord message, Completion on_done) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return Admission::closed;
    if (pending_records_.size() + in_flight_ >= options_.max_backlog) {
      ++stats_.refused_full;
      if (!full_logged_) {
        full_logged_ = true;  // once per streak: under overload every send would log
        spdlog::warn("group commit: backlog of {} messages full; refusing messages until it drains",
                     options_.max_backlog);
      }
      return Admission::backlog_full;
    }
    full_logged_ = false;
    pending_records_.push_back(std::move(message));
    pending_completions_.push_back(std::move(on_done));
    ++stats_.appended;
    if (flush_owned_) return Admission::accepted;  // the flush in flight, or the one after it, takes this message
    flush_owned_ = true;
  }
  if (t_gathering.depth > 0) {
    try {
      t_gathering.held.push_back(this);  // owned and not yet dispatched: appends meanwhile join this batch
      return Admission::accepted;
    } catch (const std::bad_alloc&) {
      // Not noted, so not held back: scheduled now.
    }
  }
  if (!dispatch()) release_after_refusal();
  return Admission::accepted;
}

void GroupCommitter::begin_gathering() noexcept { ++t_gathering.depth; }

void GroupCommitter::end_gathering() noexcept {
  if (--t_gathering.depth > 0) return;
  // The depth is 0 now, so nothing is added while this runs; the vector keeps its capacity for the next read.
  auto& held = t_gathering.held;
  for (auto* committer : held) {
    if (!committer->dispatch()) committer->release_after_refusal();
  }
  held.clear();
}

void GroupCommitter::kick() {
  {
    std::lock_guard lock(mutex_);
    if (flush_owned_ || pending_records_.empty()) return;
    flush_owned_ = true;
  }
  if (!dispatch()) release_after_refusal();
}

void GroupCommitter::close_and_drain() {
  std::unique_lock lock(mutex_);
  closed_ = true;
  for (;;) {
    idle_.wait(lock, [this] { return !flush_owned_; });
    if (pending_records_.empty()) return;
    // Pending but unowned: a schedule was refused. Nobody else will flush them, so this thread does.
    flush_owned_ = true;
    lock.unlock();
    while (flush_once()) {
    }
    lock.lock();
  }
}

GroupCommitter::Stats GroupCommitter::stats() const {
  std::lock_guard lock(mutex_);
  Stats stats = stats_;
  stats.commit_time = commit_time_.summary();
  return stats;
}

bool GroupCommitter::dispatch() noexcept {
  bool accepted = false;
  try {
    accepted = schedule_([this] { run_scheduled_flush(); });
  } catch (const std::exception& e) {
    spdlog::error("group commit: scheduling a flush threw: {}", e.what());
  } catch (...) {
    spdlog::error("group commit: scheduling a flush threw a non-standard exception");
  }
  std::lock_guard lock(mutex_);
  if (accepted) {
    refusal_logged_ = false;
  } else {
    ++stats_.refused_schedules;
    if (!refusal_logged_) {
      refusal_logged_ = true;  // once per streak of refusals: under overload there may be many
      spdlog::warn("group commit: flush refused by the scheduler; {} messages wait for a retry",
                   pending_records_.size());
    }
  }
  return accepted;
}

void GroupCommitter::release_after_refusal() noexcept {
  std::lock_guard lock(mutex_);
  flush_owned_ = false;
  idle_.notify_all();  // a drainer waiting for the owner takes over the pending messages
}

void GroupCommitter::run_scheduled_flush() {
  while (flush_once()) {
    // Give the worker back between batches; only if that is refused keep flushing here.
    if (dispatch()) return;
  }
}

bool GroupCommitter::flush_once() {
  {
    std::lock_guard lock(mutex_);
    const std::size_t take = std::min(pending_records_.size(), options_.max_batch);
    in_flight_ = take;
    if (take == pending_records_.size()) {
      // Steady state: swap, so that both vectors keep their capacity and nothing is copied.
      std::swap(pending_records_, batch_records_);
      std::swap(pending_completions_, batch_completions_);
    } else {
      const auto count = static_cast<std::ptrdiff_t>(take);
      std::move(pending_records_.begin(), pending_records_.begin() + count, std::back_inserter(batch_records_));
      std::move(pending_completions_.begin(), pending_completions_.begin() + count,
                std::back_inserter(batch_completions_));
      pending_records_.erase(pending_records_.begin(), pending_records_.begin() + count);
      pending_completions_.erase(pending_completions_.begin(), pending_completions_.begin() + count);
    }
  }

  const auto commit_start = std::chrono::steady_clock::now();
  const std::vector<AppendOutcome> outcome = commit_batch();
  if (!batch_records_.empty()) commit_time_.record(std::chrono::steady_clock::now() - commit_start);
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  for (std::size_t i = 0; i < batch_completions_.size(); ++i) {
    stored += outcome[i].status == AppendOutcome::Status::stored ? 1 : 0;
    duplicates += outcome[i].status == AppendOutcome::Status::duplicate ? 1 : 0;
    if (!batch_completions_[i]) continue;
    try {
      batch_completions_[i](outcome[i]);
    } catch (const std::exception& e) {
      // One faulty completion must not cost the others theirs, nor leave the flush owned forever.
      spdlog::error("group commit: completion for room '{}' from '{}' threw: {}", batch_records_[i].room,
                    batch_records_[i].sender, e.what());
    } catch (...) {
      spdlog::error("group commit: completion for room '{}' from '{}' threw a non-standard exception",
                    batch_records_[i].room, batch_records_[i].sender);
    }
  }
  const std::size_t size = batch_records_.size();
  batch_records_.clear();
  batch_completions_.clear();
  if (size > 0 && options_.after_batch) {
    try {
      options_.after_batch();
    } catch (const std::exception& e) {
      spdlog::error("group commit: the after-batch callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("group commit: the after-batch callback threw a non-standard exception");
    }
  }

  std::lock_guard lock(mutex_);
  in_flight_ = 0;
  if (size > 0) {
    stats_.committed += stored;
    stats_.duplicates += duplicates;
    stats_.failed += size - stored - duplicates;
    ++stats_.batches;
    stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, size);
    const auto size_class = static_cast<std::size_t>(std::bit_width(size) - 1);
    ++stats_.batch_sizes[std::min(size_class, Stats::kBatchSizeClasses - 1)];
    stats_.messages_flushed += size;
  }
  if (!pending_records_.empty()) return true;
  flush_owned_ = false;
  // Notified under the lock: once a drainer sees the flag clear it may destroy *this, and this thread must not
  // touch a member after that.
  idle_.notify_all();
  return false;
}

std::vector<AppendOutcome> GroupCommitter::commit_batch() {
  const std::size_t size = batch_records_.size();
  if (size == 0) return {};
  const auto all_failed = [size](const std::string& why) {
    return std::vector<AppendOutcome>(size, AppendOutcome::failure(why));
  };
  try {
    return store_.append_messages(batch_records_);
  } catch (const std::exception& batch_error) {
    if (const auto* storage = dynamic_cast<const StorageError*>(&batch_error);
        storage != nullptr && storage->is_fault()) {
      // The storage fails, not a record: a retry record by record would fail the same way, and write the
      // same error twice. The store has logged the failure (once per streak); every sender hears of it.
      spdlog::debug("group commit: batch of {} failed: {}", size, batch_error.what());
      return all_failed(batch_error.what());
    }
    try {
      auto outcome = store_.append_messages_individually(batch_records_);
      std::size_t rejected = 0;
      const std::string* first_reason = nullptr;
      for (const auto& one : outcome) {
        if (one.status != AppendOutcome::Status::failed) continue;
        ++rejected;
        if (!first_reason) first_reason = &one.error;
      }
      spdlog::warn("group commit: batch of {} failed ({}); retried record by record: {} rejected{}{}", size,
                   batch_error.what(), rejected, first_reason ? ", first: " : "",
                   first_reason ? *first_reason : std::string());
      return outcome;
    } catch (const std::exception& retry_error) {
      spdlog::error("group commit: batch of {} failed ({}), and so did the retry ({}); all {} messages failed",
                    size, batch_error.what(), retry_error.what(), size);
      return all_failed(retry_error.what());
    }
  } catch (...) {
    // The Store only throws std::exception types; this keeps a flush from escaping with ownership held.
    spdlog::error("group commit: batch of {} failed with a non-standard exception", size);
    return all_failed("non-standard exception");
  }
}

}  // namespace chat
