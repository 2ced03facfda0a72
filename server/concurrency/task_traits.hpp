#pragma once
// Internal: how the pool calls a task that may or may not take a std::stop_token.

#include <functional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace chat::detail {

template <class F>
inline constexpr bool takes_stop_token = std::is_invocable_v<F&, std::stop_token>;

template <class F>
struct task_result {
  using type = typename std::conditional_t<takes_stop_token<F>, std::invoke_result<F&, std::stop_token>,
                                           std::invoke_result<F&>>::type;
};

template <class F>
using task_result_t = typename task_result<std::decay_t<F>>::type;

template <class F>
decltype(auto) invoke_task(F& f, std::stop_token token) {
  if constexpr (takes_stop_token<F>) {
    return std::invoke(f, std::move(token));
  } else {
    return std::invoke(f);
  }
}

}  // namespace chat::detail
