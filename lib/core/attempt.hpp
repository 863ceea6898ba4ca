// A coroutine cannot co_await inside a catch block, so code that must await something after a
// failure (publish it, revoke a grant, answer a page, back off and try again) catches first and
// acts after. attempt() is that one catch, for the library's `error`s (anything else propagates):
//
//   auto exchanged = co_await attempt(discord.exchange_code(code, verifier));
//   if (exchanged.failure) { co_await ...; co_return ...; }
//   auto& token = *exchanged.value;
//
// It is a coroutine of its own, whose frame holds the value twice (its result and the awaited
// one): where the value is large and the path hot (the callback's exchange and /oauth2/@me, the
// waiter's store load), the caller writes the try and catch around its own co_await instead.
#pragma once

#include <discord/oauth2/error.hpp>

#include <asio/awaitable.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace discord::oauth2::core {

/// What an operation gave: its value, or the error it threw (exactly one is set).
template <class T>
struct attempted {
    std::optional<T> value;
    std::optional<error> failure;
};

/// What an operation without a value gave: the error it threw, if it threw one.
template <>
struct attempted<void> {
    std::optional<error> failure;
};

/// Awaits `operation`, catching the `error` it may throw into the result.
template <class T>
asio::awaitable<attempted<T>> attempt(asio::awaitable<T> operation)
{
    attempted<T> out;
    try {
        if constexpr (std::is_void_v<T>)
            co_await std::move(operation);
        else
            out.value.emplace(co_await std::move(operation));
    } catch (const error& e) {
        out.failure.emplace(e);
    }
    co_return out;
}

} // namespace discord::oauth2::core
