// The limits on code exchanges (lib/web/exchange_limits.hpp): a rate per client network and one
// for all clients together, what a refusal costs (nothing), what a give-back returns, and the
// count of refusals.
#include "web/exchange_limits.hpp"

#include <doctest/doctest.h>

#include <string>

using discord::oauth2::web::exchange_limits;
using namespace std::chrono_literals;

namespace {

asio::ip::address at(const std::string& text)
{
    return asio::ip::make_address(text);
}

} // namespace

TEST_CASE("one client gets its burst, then waits; another client has its own; refusals are counted")
{
    exchange_limits limits(3, 0, 64);
    auto now = exchange_limits::clock::now();
    for (int i = 0; i < 3; ++i)
        CHECK_FALSE(limits.take(at("203.0.113.66"), now));
    auto refused = limits.take(at("203.0.113.66"), now);
    REQUIRE(refused);
    CHECK(*refused == 20s); // 3 a minute: one every 20 s
    CHECK(limits.refused() == 1);
    CHECK_FALSE(limits.take(at("203.0.113.7"), now));
    CHECK_FALSE(limits.take(at("2001:db8:1:2::1"), now));
    // A client nobody named is not counted per client.
    for (int i = 0; i < 10; ++i)
        CHECK_FALSE(limits.take(asio::ip::address(), now));
    CHECK(limits.take(at("203.0.113.66"), now + 19s));
    CHECK_FALSE(limits.take(at("203.0.113.66"), now + 21s));
    CHECK(limits.refused() == 2);
}

TEST_CASE("in all: every client, named or not, draws on one rate a second")
{
    exchange_limits limits(0, 3, 64);
    auto now = exchange_limits::clock::now();
    CHECK_FALSE(limits.take(at("198.51.100.1"), now));
    CHECK_FALSE(limits.take(at("198.51.100.2"), now));
    CHECK_FALSE(limits.take(asio::ip::address(), now));
    auto refused = limits.take(at("198.51.100.4"), now);
    REQUIRE(refused);
    CHECK(*refused == 1s);
    CHECK(limits.take(at("198.51.100.5"), now + 300ms)); // less than a token back
    CHECK_FALSE(limits.take(at("198.51.100.6"), now + 400ms));
    CHECK(limits.refused() == 2);
    // A `now` older than the last one (another thread's, read earlier) refills nothing.
    CHECK(limits.take(at("198.51.100.7"), now));
}

TEST_CASE("a refusal in all costs the client nothing, and a give-back returns what was taken")
{
    exchange_limits limits(2, 1, 64);
    auto now = exchange_limits::clock::now();
    CHECK_FALSE(limits.take(at("198.51.100.1"), now)); // the second's one exchange
    for (int i = 0; i < 5; ++i)
        CHECK(limits.take(at("203.0.113.66"), now)); // refused in all, not charged to the client
    CHECK(limits.refused() == 5);
    // Its burst of 2 is whole: one now, one given back and taken again, then one more.
    CHECK_FALSE(limits.take(at("203.0.113.66"), now + 1s));
    limits.give_back(at("203.0.113.66")); // no exchange followed (a replay)
    CHECK_FALSE(limits.take(at("203.0.113.66"), now + 1s));
    CHECK_FALSE(limits.take(at("203.0.113.66"), now + 2s));
    CHECK(limits.take(at("203.0.113.66"), now + 3s)); // the client's 2 a minute are spent
    CHECK(limits.refused() == 6);
}

TEST_CASE("no limits: nothing is refused")
{
    exchange_limits limits(0, 0, 64);
    auto now = exchange_limits::clock::now();
    for (int i = 0; i < 1000; ++i)
        CHECK_FALSE(limits.take(at("203.0.113.66"), now));
    CHECK(limits.refused() == 0);
}
