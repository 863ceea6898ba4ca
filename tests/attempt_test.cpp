// attempt(): an operation's value or the library error it threw, so that callers can co_await
// after a failure (which a catch block forbids).
#include "core/attempt.hpp"

#include "support/run.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

namespace oauth2 = discord::oauth2;

namespace {

asio::awaitable<int> answer(bool fail)
{
    if (fail)
        throw oauth2::error(oauth2::errc::timeout, "no answer in time");
    co_return 42;
}

asio::awaitable<void> act(bool fail)
{
    if (fail)
        throw oauth2::error(oauth2::errc::store_failed, "disk full");
    co_return;
}

asio::awaitable<void> break_differently()
{
    throw std::logic_error("not a library error");
    co_return;
}

} // namespace

TEST_CASE("a value, or the error thrown instead; never both")
{
    asio::io_context io;
    test::run(io, []() -> asio::awaitable<void> {
        auto ok = co_await oauth2::core::attempt(answer(false));
        REQUIRE(ok.value);
        CHECK(*ok.value == 42);
        CHECK_FALSE(ok.failure);

        auto failed = co_await oauth2::core::attempt(answer(true));
        CHECK_FALSE(failed.value);
        REQUIRE(failed.failure);
        CHECK(failed.failure->code() == oauth2::errc::timeout);
        CHECK(std::string(failed.failure->what()).find("no answer in time") != std::string::npos);

        CHECK_FALSE((co_await oauth2::core::attempt(act(false))).failure);
        auto void_failed = co_await oauth2::core::attempt(act(true));
        REQUIRE(void_failed.failure);
        CHECK(void_failed.failure->code() == oauth2::errc::store_failed);
    }());
}

TEST_CASE("anything but the library's error goes through")
{
    asio::io_context io;
    CHECK_THROWS_AS(test::run(io, []() -> asio::awaitable<void> {
        (void)co_await oauth2::core::attempt(break_differently());
    }()), std::logic_error);
}
