#include "server/concurrency/keyed_executor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/concurrency/thread_pool.hpp"

namespace chat {

std::shared_ptr<KeyedExecutor> KeyedExecutor::create(ThreadPool& pool, DroppedCallback on_dropped,
                                                     std::size_t shards) {
  return std::shared_ptr<KeyedExecutor>(new KeyedExecutor(pool, std::move(on_dropped), shards));
}

KeyedExecutor::KeyedExecutor(ThreadPool& pool, DroppedCallback on_dropped, std::size_t shards)
    : pool_(pool), on_dropped_(std::move(on_dropped)) {
  shards_.resize(std::max<std::size_t>(1, shards));
  for (auto& s : shards_) s = std::make_unique<Shard>();
}

KeyedExecutor::Shard& KeyedExecutor::shard_for(const std::string& key) noexcept {
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

std::optional<RejectReason> KeyedExecutor::submit(const std::string& key, std::vector<Job>&& jobs) {
  if (jobs.empty()) return std::nullopt;
  Priority highest = Priority::Low;
  for (const Job& job : jobs) {
    if (!pool_.knows_class(job.concurrency_class)) return RejectReason::UnknownClass;
    highest = std::max(highest, job.priority);
  }
  Shard& shard = shard_for(key);
  std::deque<Job> refused;  // destroyed after the lock is released
  std::unique_lock lk(shard.mutex);
  auto [it, inserted] = shard.keys.try_emplace(key);
  KeyQueue& q = it->second;
  for (Job& job : jobs) {
    ++q.pending[index_of(job.priority)];
    q.jobs.push_back(std::move(job));
  }
  if (!inserted) {  // the key's pool task will reach them
    raise(q, highest);
    return std::nullopt;
  }
  q.owner = this;
  q.shard = &shard;
  q.key = &it->first;
  if (auto reason = start(q)) {
    refused = std::move(q.jobs);
    shard.keys.erase(it);
    lk.unlock();
    return reason;
  }
  q.self = shared_from_this();
  active_keys_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

std::optional<RejectReason> KeyedExecutor::start(KeyQueue& q) {
  std::size_t level = kPriorityLevels;
  while (level > 0 && q.pending[level - 1] == 0) --level;
  TaskOptions options;
  options.priority = static_cast<Priority>(level == 0 ? 0 : level - 1);
  options.concurrency_class = q.jobs.front().concurrency_class;
  // Fires only if the pool cancels the task before it runs; the queue still exists then.
  options.on_error = [qp = &q](std::exception_ptr) { drop(*qp); };
  const Priority priority = options.priority;
  const SubmitResult r = pool_.post([qp = &q](std::stop_token t) { run(*qp, std::move(t)); }, std::move(options));
  if (!r.ok()) return r.reason();
  q.task = r.id();
  q.task_priority = priority;
  q.task_queued = true;
  return std::nullopt;
}

void KeyedExecutor::raise(KeyQueue& q, Priority p) {
  if (!q.task_queued || p <= q.task_priority) return;
  // False only when the task has just been dequeued: it re-posts at the highest pending level.
  if (pool_.raise_priority(q.task, p)) q.task_priority = p;
}

std::shared_ptr<KeyedExecutor> KeyedExecutor::retire(KeyQueue& q) noexcept {
  std::shared_ptr<KeyedExecutor> self = std::move(q.self);
  Shard& shard = *q.shard;
  shard.keys.erase(shard.keys.find(*q.key));  // q is gone from here on
  active_keys_.fetch_sub(1, std::memory_order_relaxed);
  return self;
}

void KeyedExecutor::run(KeyQueue& q, std::stop_token token) {
  KeyedExecutor& self = *q.owner;
  Shard& shard = *q.shard;
  std::shared_ptr<KeyedExecutor> keep;  // declared first: released after everything else
  for (;;) {
    Job job;
    {
      std::lock_guard lk(shard.mutex);
      q.task_queued = false;
      job = std::move(q.jobs.front());
      q.jobs.pop_front();
      --q.pending[index_of(job.priority)];
    }
    try {
      job.run(token);
    } catch (const std::exception& e) {
      spdlog::error("keyed executor: a job threw: {}", e.what());
    } catch (...) {
      spdlog::error("keyed executor: a job threw a non-standard exception");
    }
    job.run = nullptr;  // its captures die outside the lock

    std::deque<Job> dropped;
    {
      std::lock_guard lk(shard.mutex);
      if (q.jobs.empty()) {
        keep = self.retire(q);
        return;
      }
      const auto refused = self.start(q);
      if (!refused) return;
      if (!token.stop_requested()) continue;  // queue full or draining: serve the key here
      spdlog::warn("keyed executor: key '{}' stopped by pool shutdown; dropping {} jobs", *q.key, q.jobs.size());
      dropped = std::move(q.jobs);
      keep = self.retire(q);
    }
    self.on_dropped_(dropped.size());
    return;
  }
}

void KeyedExecutor::drop(KeyQueue& q) noexcept {
  KeyedExecutor& self = *q.owner;
  std::shared_ptr<KeyedExecutor> keep;
  std::deque<Job> dropped;
  {
    std::lock_guard lk(q.shard->mutex);
    spdlog::warn("keyed executor: pool cancelled key '{}'; dropping {} jobs", *q.key, q.jobs.size());
    dropped = std::move(q.jobs);
    keep = self.retire(q);
  }
  self.on_dropped_(dropped.size());
}

}  // namespace chat
