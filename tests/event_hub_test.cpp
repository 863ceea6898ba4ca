// The event fan-out: every subscriber gets every event in order, a slow one is told how many it
// missed instead of slowing the others, publishing from other threads wakes a waiting next(),
// and the streams end when the hub does.
#include "web/event_hub.hpp"

#include "support/run.hpp"

#include <discord/oauth2/error.hpp>

#include <asio/steady_timer.hpp>
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

TEST_CASE("try_next and is_open: what is queued now, and whether anything can still come")
{
    asio::io_context io;
    event_hub hub;
    auto s = hub.subscribe(io.get_executor(), 2);
    CHECK(s.is_open());
    CHECK_FALSE(s.try_next());
    for (std::uint64_t n = 1; n <= 3; ++n) // one more than fits
        hub.publish(numbered(n));
    CHECK(s.try_next()->user_id.value() == 1);
    CHECK(s.try_next()->user_id.value() == 2);
    auto missed = s.try_next();
    REQUIRE(missed);
    CHECK(missed->kind == oauth2::event_kind::events_missed);
    CHECK(missed->missed == 1);
    CHECK_FALSE(s.try_next());
    hub.publish(numbered(4));
    hub.end_all();
    CHECK(s.is_open()); // ended, but one event is still queued
    CHECK(s.try_next()->user_id.value() == 4);
    CHECK_FALSE(s.is_open());
}

TEST_CASE("next_for: an event in time, nullopt at the timeout while still open, nullopt at the end")
{
    asio::io_context io;
    event_hub hub;
    auto s = hub.subscribe(io.get_executor(), 10);
    test::run(io, [&]() -> asio::awaitable<void> {
        CHECK_FALSE(co_await s.next_for(std::chrono::milliseconds(30)));
        CHECK(s.is_open());
        asio::steady_timer later(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
        later.async_wait([&](std::error_code) { hub.publish(numbered(9)); });
        auto e = co_await s.next_for(std::chrono::seconds(30));
        REQUIRE(e);
        CHECK(e->user_id.value() == 9);
        hub.end_all();
        CHECK_FALSE(co_await s.next_for(std::chrono::seconds(30)));
        CHECK_FALSE(s.is_open());
    }());
}

TEST_CASE("next_matching skips what does not match, within its timeout")
{
    asio::io_context io;
    event_hub hub;
    auto s = hub.subscribe(io.get_executor(), 100);
    auto other = hub.subscribe(io.get_executor(), 100);
    for (std::uint64_t n = 1; n <= 5; ++n)
        hub.publish(numbered(n));
    test::run(io, [&]() -> asio::awaitable<void> {
        auto fourth = co_await s.next_matching([](const oauth2::event& e) { return e.user_id.value() == 4; },
                                               std::chrono::seconds(30));
        REQUIRE(fourth);
        CHECK(fourth->user_id.value() == 4);
        CHECK(s.try_next()->user_id.value() == 5); // 1 to 3 were dropped from this stream only
        CHECK(other.try_next()->user_id.value() == 1);
        auto never = co_await s.next_matching([](const oauth2::event&) { return false; },
                                              std::chrono::milliseconds(30));
        CHECK_FALSE(never);
    }());
}

TEST_CASE("a filtered stream gets only its kind or its user; the queue holds nothing else")
{
    asio::io_context io;
    event_hub hub;
    oauth2::event_filter only_seven;
    only_seven.user = oauth2::snowflake(7);
    oauth2::event_filter only_denials;
    only_denials.kind = oauth2::event_kind::authorization_denied;
    auto seven = hub.subscribe(io.get_executor(), 1, only_seven);
    auto denials = hub.subscribe(io.get_executor(), 1, only_denials);
    for (std::uint64_t n = 1; n <= 10; ++n)
        hub.publish(numbered(n)); // access_token_refreshed, users 1 to 10
    auto denied = numbered(3);
    denied.kind = oauth2::event_kind::authorization_denied;
    hub.publish(denied);
    auto e = seven.try_next();
    REQUIRE(e);
    CHECK(e->user_id.value() == 7);
    CHECK_FALSE(seven.try_next()); // nothing else, and nothing missed with a queue of one
    auto d = denials.try_next();
    REQUIRE(d);
    CHECK(d->kind == oauth2::event_kind::authorization_denied);
    CHECK_FALSE(denials.try_next());
}

TEST_CASE("a moved-from stream is closed and says so instead of crashing")
{
    asio::io_context io;
    event_hub hub;
    auto first = hub.subscribe(io.get_executor(), 10);
    auto second = std::move(first);
    hub.publish(numbered(1));
    CHECK_FALSE(first.is_open());
    CHECK_FALSE(first.try_next());
    CHECK(second.try_next()->user_id.value() == 1);
    test::run(io, [&]() -> asio::awaitable<void> {
        try {
            (void)co_await first.next();
            FAIL("next() on a moved-from stream returned");
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::invalid_argument);
            CHECK(std::string(e.what()).find("moved from") != std::string::npos);
        }
    }());
}
