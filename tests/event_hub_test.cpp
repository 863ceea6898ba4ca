// The event fan-out: every subscriber gets every event in order, a slow one is told how many it
// missed instead of slowing the others, publishing from other threads wakes a waiting next(),
// and the streams end when the hub does.
#include "web/event_hub.hpp"

#include "support/run.hpp"

#include <asio/thread_pool.hpp>

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;
using discord::oauth2::web::event_hub;

namespace {

oauth2::event numbered(std::uint64_t n)
{
    oauth2::event e;
    e.kind = oauth2::event_kind::access_token_refreshed;
    e.user_id = oauth2::snowflake(n);
    return e;
}

} // namespace

TEST_CASE("every subscriber gets every event, in order; the streams end with the hub")
{
    asio::io_context io;
    event_hub hub;
    auto a = hub.subscribe(io.get_executor(), 100);
    auto b = hub.subscribe(io.get_executor(), 100);
    for (std::uint64_t n = 1; n <= 10; ++n)
        hub.publish(numbered(n));
    hub.end_all();
    test::run(io, [&]() -> asio::awaitable<void> {
        oauth2::event_stream* both[] = {&a, &b}; // named: g++ 12 and braced lists in coroutines
        for (auto* s : both) {
            std::uint64_t expected = 1;
            while (auto e = co_await s->next())
                CHECK(e->user_id.value() == expected++);
            CHECK(expected == 11);
        }
        // Subscribed after the end: ended at once.
        auto late = hub.subscribe(io.get_executor(), 100);
        CHECK_FALSE(co_await late.next());
    }());
}

TEST_CASE("a subscriber that falls behind is told how many it missed; the others lose nothing")
{
    asio::io_context io;
    event_hub hub;
    auto slow = hub.subscribe(io.get_executor(), 4);
    auto fast = hub.subscribe(io.get_executor(), 1000);
    for (std::uint64_t n = 1; n <= 10; ++n)
        hub.publish(numbered(n));
    hub.end_all();
    test::run(io, [&]() -> asio::awaitable<void> {
        std::vector<std::uint64_t> got;
        std::uint64_t missed = 0;
        while (auto e = co_await slow.next()) {
            if (e->kind == oauth2::event_kind::events_missed)
                missed += e->missed;
            else
                got.push_back(e->user_id.value());
        }
        CHECK(got == std::vector<std::uint64_t>{1, 2, 3, 4});
        CHECK(missed == 6);
        std::size_t all = 0;
        while (auto e = co_await fast.next())
            all += e->kind != oauth2::event_kind::events_missed;
        CHECK(all == 10);
    }());
}

TEST_CASE("events published on other threads wake a next() waiting on its own executor")
{
    asio::io_context io;
    event_hub hub;
    auto s = hub.subscribe(io.get_executor(), 10'000);
    asio::thread_pool publishers(2);
    test::run(io, [&]() -> asio::awaitable<void> {
        for (int t = 0; t < 2; ++t)
            asio::post(publishers, [&hub, t] {
                for (std::uint64_t n = 0; n < 1000; ++n)
                    hub.publish(numbered(t * 1000 + n));
            });
        std::size_t received = 0;
        while (received < 2000) {
            auto e = co_await s.next();
            REQUIRE(e);
            ++received;
        }
        CHECK(received == 2000);
    }());
    publishers.join();
}

TEST_CASE("a dropped stream unsubscribes: publishing goes on for the others")
{
    asio::io_context io;
    event_hub hub;
    auto kept = hub.subscribe(io.get_executor(), 10);
    {
        auto dropped = hub.subscribe(io.get_executor(), 10);
    }
    hub.publish(numbered(7));
    hub.end_all();
    test::run(io, [&]() -> asio::awaitable<void> {
        auto e = co_await kept.next();
        REQUIRE(e);
        CHECK(e->user_id.value() == 7);
        CHECK_FALSE(co_await kept.next());
    }());
}
