// detail::bridge (lib/core/bridge.cpp), the io side of the D++ and Boost.Asio adapters, without
// either framework, so that the sanitizer builds run it too: launches and cancellations from many
// threads, the poll of a framework's cancellation flag, and destruction with work in flight.
#include <discord/oauth2/async.hpp>
#include <discord/oauth2/detail/bridge.hpp>
#include <discord/oauth2/error.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace oauth2 = discord::oauth2;
using oauth2::detail::bridge;
using oauth2::detail::bridged_result;
using namespace std::chrono_literals;

namespace {

// An operation that sleeps `d` on the io thread, then returns `value`.
asio::awaitable<int> sleep_then(std::chrono::milliseconds d, int value)
{
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
    co_return value;
}

bool cancelled(bridged_result<int>& op)
{
    return op.failure && oauth2::detail::error_code_of(op.failure, nullptr, nullptr) == oauth2::errc::cancelled;
}

template <class Predicate>
void wait_until(Predicate p)
{
    for (int i = 0; i < 6000 && !p(); ++i)
        std::this_thread::sleep_for(5ms);
    REQUIRE(p());
}

} // namespace

TEST_CASE("4 threads launch 800 operations while another cancels half: each ends exactly once")
{
    bridge b;
    constexpr int per_thread = 200;
    std::vector<std::shared_ptr<bridged_result<int>>> ops(4 * per_thread);
    std::vector<std::atomic<int>> ends(ops.size());
    std::atomic<int> launched = 0;
    std::vector<std::thread> launchers;
    for (int t = 0; t < 4; ++t) {
        launchers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                auto n = t * per_thread + i;
                auto op = std::make_shared<bridged_result<int>>();
                ops[n] = op;
                b.launch(op, sleep_then(std::chrono::milliseconds(n % 7), n), nullptr,
                         [&ends, n](const std::shared_ptr<bridged_result<int>>&) { ++ends[n]; });
                ++launched;
            }
        });
    }
    for (auto& t : launchers)
        t.join();
    std::thread canceller([&] {
        for (std::size_t n = 0; n < ops.size(); n += 2)
            b.request_cancel(ops[n]);
    });
    canceller.join();
    wait_until([&] { return b.running() == 0; });
    wait_until([&] {
        for (auto& e : ends)
            if (e == 0)
                return false;
        return true;
    });
    int values = 0;
    int cancels = 0;
    for (std::size_t n = 0; n < ops.size(); ++n) {
        CHECK(ends[n] == 1);
        if (ops[n]->value) {
            CHECK(*ops[n]->value == static_cast<int>(n));
            ++values;
        } else {
            CHECK(cancelled(*ops[n]));
            CHECK(bridge::ended_by_cancel(*ops[n]));
            CHECK(n % 2 == 0); // only those asked to
            ++cancels;
        }
    }
    CHECK(values + cancels == static_cast<int>(ops.size()));
    CHECK(values >= static_cast<int>(ops.size()) / 2);
}

TEST_CASE("cancelled before it starts, an operation never runs and its end is never called")
{
    bridge b;
    auto op = std::make_shared<bridged_result<int>>();
    b.request_cancel(op);
    bool ran = false;
    bool ended = false;
    auto operation = [](bool& ran) -> asio::awaitable<int> {
        ran = true;
        co_return 1;
    }(ran);
    CHECK_FALSE(b.launch(op, std::move(operation), nullptr, [&](const auto&) { ended = true; }));
    CHECK(bridge::ended_by_cancel(*op));
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(ran);
    CHECK_FALSE(ended);
    CHECK(b.running() == 0);
}

TEST_CASE("a framework's cancellation flag, set while the operation runs, cancels it")
{
    bridge b;
    std::atomic<bool> flag = false;
    std::atomic<bool> ended = false;
    auto op = std::make_shared<bridged_result<int>>();
    REQUIRE(b.launch(op, sleep_then(1h, 1), &flag, [&](const auto&) { ended = true; }));
    std::this_thread::sleep_for(250ms); // a few polls that find the flag clear
    CHECK(b.running() == 1);
    flag = true;
    wait_until([&] { return ended.load(); });
    CHECK(cancelled(*op));
    CHECK_FALSE(op->value);
    CHECK(op->cancel_flag == nullptr); // never read again once ended
}

TEST_CASE("an application's io_context on three threads, and destruction with operations in flight")
{
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&] { io.run(); });

    std::atomic<int> ended = 0;
    std::vector<std::shared_ptr<bridged_result<int>>> ops;
    std::atomic<bool> never = false;
    {
        bridge b(io.get_executor());
        for (int i = 0; i < 50; ++i) {
            auto op = std::make_shared<bridged_result<int>>();
            ops.push_back(op);
            // Half are polled, half not; all would take an hour.
            b.launch(op, sleep_then(1h, i), i % 2 ? &never : nullptr, [&](const auto&) { ++ended; });
        }
        auto quick = std::make_shared<bridged_result<int>>();
        std::atomic<bool> quick_ended = false;
        b.launch(quick, sleep_then(1ms, 7), nullptr, [&](const auto&) {
            ++ended;
            quick_ended = true;
        });
        wait_until([&] { return quick_ended.load(); });
        CHECK(*quick->value == 7);
        CHECK(b.running() == 50);
    } // cancels the fifty and waits for them, and for the poll to stop
    CHECK(ended == 51);
    for (auto& op : ops)
        CHECK(cancelled(*op));
    work.reset();
    io.stop();
    for (auto& t : threads)
        t.join();
}
