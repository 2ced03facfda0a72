#pragma once
// Helpers shared by the storage tests: a fresh temporary directory, message builders and two stand-ins for
// the worker pool's Schedule (one manual, one with a thread).

#include <doctest/doctest.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "server/storage/records.hpp"

namespace chat::test {

// A new directory under the system temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "chat-storage-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path db() const { return path_ / "chat.db"; }

 private:
  std::filesystem::path path_;
};

// A principal id for a test's account name: one per name, positive as accounts' are.
inline PrincipalId principal_of(const std::string& name) {
  return static_cast<PrincipalId>(std::hash<std::string>{}(name) >> 2) + 1;
}

inline MessageRecord message(std::string room, std::int64_t seq, std::string sender = "alice",
                             std::optional<std::string> client_id = std::nullopt) {
  const auto sender_id = principal_of(sender);
  return MessageRecord{
      std::move(room), seq, std::move(sender), sender_id, 1'700'000'000'000 + seq, "text " + std::to_string(seq),
      std::move(client_id)};
}

// Keeps scheduled tasks until the test runs them, so batching is deterministic. Can refuse tasks.
// Not thread-safe beyond schedule() (guarded, since a flush reschedules from the task itself).
class ManualScheduler {
 public:
  bool schedule(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    if (refuse_next_ > 0) {
      --refuse_next_;
      return false;
    }
    tasks_.push_back(std::move(task));
    return true;
  }
  void refuse_next(int count) {
    std::lock_guard lock(mutex_);
    refuse_next_ = count;
  }
  std::size_t queued() {
    std::lock_guard lock(mutex_);
    return tasks_.size();
  }
  // Runs queued tasks, including those they schedule, at most `max_tasks`; returns how many ran.
  std::size_t run(std::size_t max_tasks = 1000) {
    std::size_t ran = 0;
    for (; ran < max_tasks; ++ran) {
      std::function<void()> task;
      {
        std::lock_guard lock(mutex_);
        if (tasks_.empty()) break;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
    return ran;
  }
  std::function<bool(std::function<void()>)> as_schedule() {
    return [this](std::function<void()> task) { return schedule(std::move(task)); };
  }

 private:
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  int refuse_next_ = 0;
};

// One worker thread running scheduled tasks in order, like a pool with a single "storage" worker.
// The destructor runs what is queued, then joins.
class ThreadScheduler {
 public:
  ThreadScheduler() : worker_([this] { loop(); }) {}
  ThreadScheduler(const ThreadScheduler&) = delete;
  ThreadScheduler& operator=(const ThreadScheduler&) = delete;
  ~ThreadScheduler() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_one();
    worker_.join();
  }
  bool schedule(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
    return true;
  }
  std::function<bool(std::function<void()>)> as_schedule() {
    return [this](std::function<void()> task) { return schedule(std::move(task)); };
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread worker_;  // last: starts after the members it uses
};

}  // namespace chat::test
