// The rate kept per client address (lib/server/peer_rate.hpp): bursts then the steady rate, an
// IPv6 /64 counted as one client and a mapped IPv4 address as its IPv4 one, and a table that
// stays bounded however many addresses come.
#include "server/peer_network.hpp"
#include "server/peer_rate.hpp"

#include <doctest/doctest.h>

#include <string>

using discord::oauth2::server::peer_rate;
using namespace std::chrono_literals;

namespace {

asio::ip::address at(const std::string& text)
{
    return asio::ip::make_address(text);
}

} // namespace

TEST_CASE("a burst of per_minute, then one every 60/per_minute seconds")
{
    peer_rate rate(10);
    auto now = peer_rate::clock::now();
    for (int i = 0; i < 10; ++i)
        CHECK(rate.allow(at("203.0.113.7"), now));
    CHECK_FALSE(rate.allow(at("203.0.113.7"), now));
    CHECK(rate.allow(at("203.0.113.8"), now)); // another client has its own
    CHECK_FALSE(rate.allow(at("203.0.113.7"), now + 5s));
    CHECK(rate.allow(at("203.0.113.7"), now + 6100ms));
    CHECK_FALSE(rate.allow(at("203.0.113.7"), now + 6100ms));
    CHECK(rate.retry_after() == 6s);
}

TEST_CASE("a request given back is counted no more, up to the burst; a forgotten peer gets nothing")
{
    peer_rate rate(2, 1);
    auto now = peer_rate::clock::now();
    CHECK(rate.allow(at("203.0.113.7"), now));
    CHECK(rate.allow(at("203.0.113.7"), now));
    CHECK_FALSE(rate.allow(at("203.0.113.7"), now));
    rate.give_back(at("203.0.113.7"));
    CHECK(rate.allow(at("203.0.113.7"), now));
    CHECK_FALSE(rate.allow(at("203.0.113.7"), now));
    // Never past the burst: three given back to a full bucket still leave two.
    CHECK(rate.allow(at("203.0.113.7"), now + 61s));
    for (int i = 0; i < 3; ++i)
        rate.give_back(at("203.0.113.7"));
    CHECK(rate.allow(at("203.0.113.7"), now + 61s));
    CHECK(rate.allow(at("203.0.113.7"), now + 61s));
    CHECK_FALSE(rate.allow(at("203.0.113.7"), now + 61s));
    // The table holds one peer: another one's request forgets the first, whose give-back is lost.
    CHECK(rate.allow(at("203.0.113.8"), now + 61s));
    rate.give_back(at("203.0.113.7"));
    CHECK(rate.peers() == 1);
}

TEST_CASE("an IPv6 /64 is one client; a mapped IPv4 address is its IPv4 one")
{
    peer_rate rate(2);
    auto now = peer_rate::clock::now();
    CHECK(rate.allow(at("2001:db8:1:2::1"), now));
    CHECK(rate.allow(at("2001:db8:1:2:ffff:ffff:ffff:ffff"), now));
    CHECK_FALSE(rate.allow(at("2001:db8:1:2::99"), now));
    CHECK(rate.allow(at("2001:db8:1:3::1"), now)); // the next /64
    CHECK(rate.allow(at("192.0.2.1"), now));
    CHECK(rate.allow(at("::ffff:192.0.2.1"), now));
    CHECK_FALSE(rate.allow(at("192.0.2.1"), now));
    // An IPv6 address whose last 32 bits are an IPv4 address is still IPv6.
    CHECK(rate.allow(at("2001:db8:9::c000:201"), now));
}

TEST_CASE("the network a peer stands for: IPv4 by address, IPv6 by its prefix, mapped IPv4 as IPv4")
{
    using discord::oauth2::server::peer_network;
    CHECK(peer_network(at("203.0.113.7")) == at("203.0.113.7"));
    CHECK(peer_network(at("::ffff:203.0.113.7")) == at("203.0.113.7"));
    CHECK(peer_network(at("2001:db8:1:2:3:4:5:6")) == at("2001:db8:1:2::"));
    CHECK(peer_network(at("2001:db8:1:2:3:4:5:6"), 48) == at("2001:db8:1::"));
    CHECK(peer_network(at("2001:db8:1:2ab::1"), 56) == at("2001:db8:1:200::"));
    CHECK(peer_network(at("2001:db8:1:2:3:4:5:6"), 128) == at("2001:db8:1:2:3:4:5:6"));
    CHECK(peer_network(at("::1"), 200) == at("::1"));
    // A rate per /48 when configured so: two /64s of it share.
    peer_rate wide(1, 100, 48);
    auto now = peer_rate::clock::now();
    CHECK(wide.allow(at("2001:db8:1:2::1"), now));
    CHECK_FALSE(wide.allow(at("2001:db8:1:3::1"), now));
}

TEST_CASE("the table is bounded, and a full one never shuts a new client out")
{
    peer_rate rate(10, 1000);
    auto now = peer_rate::clock::now();
    for (int i = 0; i < 100'000; ++i)
        (void)rate.allow(asio::ip::address_v4(static_cast<asio::ip::address_v4::uint_type>(0x0a000000 + i)), now);
    CHECK(rate.peers() == 1000);
    // Full of peers still counting: some peer is forgotten, the new one gets in.
    CHECK(rate.allow(at("198.51.100.1"), now));
    CHECK(rate.peers() == 1000);
    // A minute on, every bucket is full again: a sweep forgets them all.
    CHECK(rate.allow(at("198.51.100.2"), now + 61s));
    CHECK(rate.peers() <= 2);
}
