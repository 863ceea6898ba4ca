// Runs a test's coroutine to completion on an io_context and hands back its result or exception.
#pragma once

#include <discord/oauth2/error.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>

namespace test {

/// Runs `body` on `io` until it finishes (then stops `io`, so servers need no explicit stop).
/// Throws if the body throws, or if it has not finished after `limit` (a hang is a failure).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> body, std::chrono::seconds limit = std::chrono::seconds(60))
{
    std::optional<T> result;
    std::exception_ptr failure;
    bool done = false;
    asio::co_spawn(io, std::move(body), [&](std::exception_ptr e, T value) {
        failure = e;
        if (!e)
            result.emplace(std::move(value));
        done = true;
        io.stop();
    });
    io.restart();
    io.run_for(limit);
    if (!done)
        throw std::runtime_error("the test's coroutine did not finish in time");
    if (failure)
        std::rethrow_exception(failure);
    return std::move(*result);
}

inline void run(asio::io_context& io, asio::awaitable<void> body, std::chrono::seconds limit = std::chrono::seconds(60))
{
    auto wrapped = [](asio::awaitable<void> b) -> asio::awaitable<bool> {
        co_await std::move(b);
        co_return true;
    };
    run<bool>(io, wrapped(std::move(body)), limit);
}

/// Runs what a body left behind (detached clean-ups, such as a lock's release) until nothing is
/// left: handlers still queued when the io_context is destroyed would leak their coroutines.
inline void drain(asio::io_context& io, std::chrono::seconds limit = std::chrono::seconds(20))
{
    io.restart();
    io.run_for(limit);
}

/// Runs `op` and returns the library error it throws; fails the test if it throws none.
template <class Op>
asio::awaitable<discord::oauth2::error> expect_error(Op op)
{
    try {
        co_await op();
    } catch (const discord::oauth2::error& e) {
        co_return e;
    }
    FAIL("no discord::oauth2::error was thrown");
    co_return discord::oauth2::error(discord::oauth2::errc::transport, "unreachable");
}

/// Suspends the calling coroutine for `d`.
inline asio::awaitable<void> sleep(std::chrono::milliseconds d)
{
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

/// Suspends the calling coroutine until `done()` holds, looking every 10 ms, for at most
/// `limit`; whether it held (for work a test left running beside it, such as a browser's page).
template <class Done>
asio::awaitable<bool> wait_until(Done done, std::chrono::milliseconds limit)
{
    for (auto waited = std::chrono::milliseconds(0); !done(); waited += std::chrono::milliseconds(10)) {
        if (waited >= limit)
            co_return false;
        co_await sleep(std::chrono::milliseconds(10));
    }
    co_return true;
}

} // namespace test
