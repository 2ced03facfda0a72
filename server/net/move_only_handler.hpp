#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace chat {

template <typename Signature>
class MoveOnlyHandler;

// A completion handler behind an interface: holds any move-only callable of the signature, in place.
// std::function cannot hold an Asio coroutine's handler (it cannot be copied), and a transport's read
// completes into one on every idle connection, so it must not allocate either: a callable larger than
// the inline space does not compile. Called at most once, as Asio calls a handler.
template <typename R, typename... Args>
class MoveOnlyHandler<R(Args...)> {
 public:
  // An Asio coroutine's handler with redirect_error takes 72 bytes (Boost 1.74, 64-bit).
  static constexpr std::size_t kInlineBytes = 10 * sizeof(void*);

  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, MoveOnlyHandler>>>
  explicit MoveOnlyHandler(F&& f) {
    using Held = std::decay_t<F>;
    static_assert(sizeof(Held) <= kInlineBytes && alignof(Held) <= alignof(std::max_align_t),
                  "the handler does not fit in place");
    static_assert(std::is_nothrow_move_constructible_v<Held>);
    ::new (static_cast<void*>(&storage_)) Held(std::forward<F>(f));
    ops_ = &kOps<Held>;
  }
  MoveOnlyHandler(MoveOnlyHandler&& other) noexcept : ops_(std::exchange(other.ops_, nullptr)) {
    if (ops_) ops_->move(&other.storage_, &storage_);
  }
  MoveOnlyHandler& operator=(MoveOnlyHandler&&) = delete;
  MoveOnlyHandler(const MoveOnlyHandler&) = delete;
  MoveOnlyHandler& operator=(const MoveOnlyHandler&) = delete;
  ~MoveOnlyHandler() {
    if (ops_) ops_->destroy(&storage_);
  }

  R operator()(Args... args) { return ops_->call(&storage_, std::forward<Args>(args)...); }

 private:
  struct Ops {
    R (*call)(void*, Args&&...);
    void (*move)(void* from, void* to) noexcept;  // and destroys `from`
    void (*destroy)(void*) noexcept;
  };
  template <typename Held>
  static constexpr Ops kOps{
      [](void* self, Args&&... args) -> R { return (*static_cast<Held*>(self))(std::forward<Args>(args)...); },
      [](void* from, void* to) noexcept {
        ::new (to) Held(std::move(*static_cast<Held*>(from)));
        static_cast<Held*>(from)->~Held();
      },
      [](void* self) noexcept { static_cast<Held*>(self)->~Held(); }};

  alignas(std::max_align_t) std::byte storage_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

}  // namespace chat
