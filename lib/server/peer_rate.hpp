// A rate per client address: a token bucket each, where an IPv6 network counts as one address
// (a /64 by default: one subscriber gets a whole /64) and an IPv4-mapped address as its IPv4
// one (server/peer_network.hpp). The table is
// bounded: when it is full, peers whose bucket has filled up again are forgotten (a sweep at
// most once per token's refill time), and if it is still full, some peer is forgotten to make
// room. Past max_peers addresses the rate holds only approximately, but it never locks new
// clients out: what a flood from that many addresses may cost is bounded elsewhere (the web
// server's caps on records and replay guards).
#pragma once

#include <asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace discord::oauth2::server {

class peer_rate {
public:
    using clock = std::chrono::steady_clock;

    /// `per_minute` (at least 1) requests a minute per peer, in bursts of as many; at most
    /// `max_peers` tracked.
    explicit peer_rate(std::size_t per_minute, std::size_t max_peers = 65'536, std::size_t ipv6_prefix = 64);

    /// True when `peer` may go on at `now` (and counts it); false past its rate. Never false for
    /// a peer not in the table.
    [[nodiscard]] bool allow(const asio::ip::address& peer, clock::time_point now);

    /// Returns the request allow() counted for `peer` when what it admitted did not happen after
    /// all (never past the burst); nothing for a peer the table has forgotten since.
    void give_back(const asio::ip::address& peer);

    /// How long a refused peer should wait for its next request.
    [[nodiscard]] std::chrono::seconds retry_after() const noexcept;

    /// Peers tracked now (for tests).
    [[nodiscard]] std::size_t peers();

private:
    struct bucket {
        double tokens = 0;
        clock::time_point at;
    };

    double capacity_;
    double per_second_;
    std::size_t max_peers_;
    std::size_t ipv6_prefix_;
    std::mutex mutex_;
    std::unordered_map<asio::ip::address, bucket> buckets_; // by the peer's network
    clock::time_point next_sweep_{};
};

} // namespace discord::oauth2::server
