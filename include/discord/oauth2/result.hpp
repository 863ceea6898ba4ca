// An operation's value or its error, for code that handles failures without exceptions: D++
// coroutines, which cannot co_await inside a catch block, get one from
// `co_await on_io.result(operation)` (dpp.hpp), as D++'s own calls give a confirmation_callback_t:
//
//   auto connections = co_await on_io.result(discord.get_connections(token));
//   if (!connections) {
//       co_await event.co_edit_response(connections.error().what());
//       co_return;
//   }
//   for (const auto& c : *connections) ...
//
// Plain Asio coroutines get the same from `co_await oauth2::as_result(operation)`.
#pragma once

#include <discord/oauth2/error.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace discord::oauth2 {

/// The value of an operation that succeeded, or the `error` of one that failed (with its code,
/// its sentence and what Discord said: error.hpp). Any other exception the operation ended with
/// is kept as an `error` of code transport with its text. Not thread-safe; movable, copyable.
template <class T>
class result {
public:
    /// A success holding `value`.
    explicit result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    /// A failure holding `failure`.
    explicit result(oauth2::error failure) : state_(std::in_place_index<1>, std::move(failure)) {}

    /// Whether the operation succeeded.
    [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
    /// The same as has_value().
    explicit operator bool() const noexcept { return has_value(); }

    /// The value; throws the error when the operation failed.
    [[nodiscard]] T& value() &
    {
        throw_if_failed();
        return std::get<0>(state_);
    }
    /// The value; throws the error when the operation failed.
    [[nodiscard]] const T& value() const&
    {
        throw_if_failed();
        return std::get<0>(state_);
    }
    /// The value, moved out; throws the error when the operation failed.
    [[nodiscard]] T&& value() &&
    {
        throw_if_failed();
        return std::get<0>(std::move(state_));
    }
    /// The value; only when has_value() (checked: throws the error otherwise).
    [[nodiscard]] T& operator*() & { return value(); }
    /// The value; only when has_value() (checked: throws the error otherwise).
    [[nodiscard]] const T& operator*() const& { return value(); }
    /// The value's members; only when has_value() (checked: throws the error otherwise).
    [[nodiscard]] T* operator->() { return &value(); }
    /// The value's members; only when has_value() (checked: throws the error otherwise).
    [[nodiscard]] const T* operator->() const { return &value(); }

    /// The error; only when !has_value() (a success has none: throws std::bad_variant_access).
    [[nodiscard]] const oauth2::error& error() const { return std::get<1>(state_); }

private:
    void throw_if_failed() const
    {
        if (state_.index() == 1)
            throw std::get<1>(state_);
    }

    std::variant<T, oauth2::error> state_;
};

/// An operation without a value: success, or its error.
template <>
class result<void> {
public:
    /// A success.
    result() = default;
    /// A failure holding `failure`.
    explicit result(oauth2::error failure) : failure_(std::move(failure)) {}

    /// Whether the operation succeeded.
    [[nodiscard]] bool has_value() const noexcept { return !failure_; }
    /// The same as has_value().
    explicit operator bool() const noexcept { return has_value(); }
    /// Throws the error when the operation failed; nothing otherwise.
    void value() const
    {
        if (failure_)
            throw *failure_;
    }
    /// The error; only when !has_value() (a success has none: throws std::bad_optional_access).
    [[nodiscard]] const oauth2::error& error() const { return failure_.value(); }

private:
    std::optional<oauth2::error> failure_;
};

namespace detail {

/// What `failure` (an exception an operation ended with) is as a result's error: an `error`
/// itself, else an `error` of code transport saying its text.
[[nodiscard]] inline oauth2::error error_of(const std::exception_ptr& failure)
{
    try {
        std::rethrow_exception(failure);
    } catch (const oauth2::error& e) {
        return e;
    } catch (const std::exception& e) {
        return oauth2::error(errc::transport, e.what());
    } catch (...) {
        return oauth2::error(errc::transport, "the operation failed with an exception that is not a std::exception");
    }
}

} // namespace detail

/// Awaits `operation` and gives its value or its error as a result, never throwing what the
/// operation throws: `auto me = co_await oauth2::as_result(client.get_current_user(token));`.
/// Cancelling the awaiting coroutine ends the operation, whose error (cancelled) is then the
/// result's. Thread and lifetime rules are the operation's.
template <class T>
[[nodiscard]] asio::awaitable<result<T>> as_result(asio::awaitable<T> operation)
{
    std::exception_ptr failure;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(operation);
            co_return result<void>();
        } else {
            co_return result<T>(co_await std::move(operation));
        }
    } catch (...) {
        failure = std::current_exception();
    }
    co_return result<T>(detail::error_of(failure));
}

} // namespace discord::oauth2
