// work_counter: waiting for work to end without polling, across threads, with a limit.
#include "core/work_counter.hpp"

#include "support/run.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

using discord::oauth2::core::work_counter;
using namespace std::chrono_literals;

TEST_CASE("nothing under way: wait_idle returns true at once")
{
    asio::io_context io;
    work_counter counter;
    test::run(io, [&]() -> asio::awaitable<void> {
        CHECK(co_await counter.wait_idle(0ms));
        CHECK(co_await counter.wait_idle());
    }());
}

TEST_CASE("wait_idle resumes when the last piece of work leaves, not before")
{
    asio::io_context io;
    work_counter counter;
    counter.enter();
    counter.enter();
    bool resumed = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        CHECK(co_await counter.wait_idle());
        resumed = true;
    }, asio::detached);
    io.run_for(20ms);
    CHECK_FALSE(resumed);
    counter.leave();
    io.restart();
    io.run_for(20ms);
    CHECK_FALSE(resumed);
    CHECK(counter.count() == 1);
    counter.leave();
    io.restart();
    io.run_for(1s);
    CHECK(resumed);
    CHECK(counter.count() == 0);
}

TEST_CASE("the limit comes first: false, and a later leave wakes nobody twice")
{
    asio::io_context io;
    work_counter counter;
    auto under_way = counter.scope();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto started = std::chrono::steady_clock::now();
        CHECK_FALSE(co_await counter.wait_idle(30ms));
        CHECK(std::chrono::steady_clock::now() - started >= 30ms);
    }());
    CHECK(counter.count() == 1);
}

TEST_CASE("leave on other threads wakes a waiter on its own executor")
{
    asio::io_context io;
    work_counter counter;
    constexpr int pieces = 1000;
    for (int i = 0; i < pieces; ++i)
        counter.enter();
    asio::thread_pool workers(2);
    std::atomic<int> left{0};
    bool idle = false;
    std::thread::id resumed_on;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        idle = co_await counter.wait_idle(10s);
        resumed_on = std::this_thread::get_id();
    }, asio::detached);
    io.poll(); // the waiter is waiting before anything leaves
    for (int i = 0; i < pieces; ++i)
        asio::post(workers, [&] {
            counter.leave();
            ++left;
        });
    workers.join();
    io.restart();
    io.run_for(10s);
    CHECK(left == pieces);
    CHECK(idle);
    CHECK(resumed_on == std::this_thread::get_id());
}

TEST_CASE("scope guards count what they hold, moved or not")
{
    work_counter counter;
    {
        auto a = counter.scope();
        auto b = std::move(a);
        CHECK(counter.count() == 1);
    }
    CHECK(counter.count() == 0);
}
