// Awaiting the library's operations from another framework's coroutines.
//
// Every operation is an `asio::awaitable`, which only an Asio coroutine can co_await. `on(...)`
// turns one into a plain C++20 awaitable for any coroutine type (cppcoro, folly, libunifex,
// Qt's, a home-made task):
//
//   my_task<void> greet(oauth2::client& discord, oauth2::access_token token) {
//       auto me = co_await oauth2::on(io.get_executor(), discord.get_current_user(token));
//   }
//
// The operation runs on the given Asio executor; someone must run it (io_context::run on some
// thread). By default the foreign coroutine resumes on that thread. Pass a `resume` function to
// hand the coroutine back to the foreign framework's own scheduler instead:
//
//   co_await oauth2::on(ex, discord.get_connections(token),
//                       [&](std::coroutine_handle<> h) { my_scheduler.post(h); });
//
// Errors are rethrown in the foreign coroutine. Destroying a suspended foreign coroutine is not
// supported while its operation runs (as with any awaiter); cancel through the Asio side first.
#pragma once

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace discord::oauth2 {

/// Hands a waiting coroutine back to a foreign scheduler (see on()).
using resume_function = std::function<void(std::coroutine_handle<>)>;

namespace detail {

/// Runs `operation` on `executor` (co_spawn) and calls `done` when it has finished.
void start_foreign(asio::any_io_executor executor, asio::awaitable<void> operation,
                   std::function<void(std::exception_ptr)> done);

template <class T>
struct foreign_result {
    std::optional<T> value;
};
template <>
struct foreign_result<void> {};

template <class T>
asio::awaitable<void> store_into(asio::awaitable<T> operation, foreign_result<T>* out)
{
    if constexpr (std::is_void_v<T>)
        co_await std::move(operation);
    else
        out->value.emplace(co_await std::move(operation));
}

} // namespace detail

template <class T>
/// What on() returns: a C++20 awaiter that runs an Asio awaitable on an executor and resumes
/// the awaiting coroutine when it ends, with its value or its exception. Awaited once.
class foreign_awaiter {
public:
    /// Holds `operation` until it is awaited; see on().
    foreign_awaiter(asio::any_io_executor executor, asio::awaitable<T> operation, resume_function resume)
        : executor_(std::move(executor)), operation_(std::move(operation)), resume_(std::move(resume))
    {
    }

    /// Never ready: the operation starts when awaited.
    bool await_ready() const noexcept { return false; }

    /// Starts the operation on the executor; `waiting` resumes when it ends (through `resume`
    /// when one was given, else on the executor's thread).
    void await_suspend(std::coroutine_handle<> waiting)
    {
        detail::start_foreign(executor_, detail::store_into(std::move(operation_), &result_),
                              [this, waiting](std::exception_ptr e) {
                                  failure_ = e;
                                  if (resume_)
                                      resume_(waiting);
                                  else
                                      waiting.resume();
                              });
    }

    /// The operation's value, or its exception rethrown.
    T await_resume()
    {
        if (failure_)
            std::rethrow_exception(failure_);
        if constexpr (!std::is_void_v<T>)
            return std::move(*result_.value);
    }

private:
    asio::any_io_executor executor_;
    asio::awaitable<T> operation_;
    resume_function resume_;
    detail::foreign_result<T> result_;
    std::exception_ptr failure_;
};

/// `operation`, awaitable from any C++20 coroutine; it runs on `executor`, and `resume` hands
/// the waiting coroutine back (to a foreign scheduler).
template <class T>
[[nodiscard]] foreign_awaiter<T> on(asio::any_io_executor executor, asio::awaitable<T> operation,
                                    resume_function resume)
{
    return foreign_awaiter<T>(std::move(executor), std::move(operation), std::move(resume));
}

/// The same, resuming on the executor's thread. (An overload, not a default argument: g++ 12
/// destroys a defaulted temporary of a co_await expression twice.)
template <class T>
[[nodiscard]] foreign_awaiter<T> on(asio::any_io_executor executor, asio::awaitable<T> operation)
{
    return foreign_awaiter<T>(std::move(executor), std::move(operation), resume_function());
}

} // namespace discord::oauth2
