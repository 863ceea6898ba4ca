// How many authorization codes the callback may exchange: a rate per client network
// (server::peer_rate) and one for every client together, taken before the callback's state is
// spent. Each exchange is a request to Discord's token endpoint, and a made-up code costs one as
// much as a real one: without a limit, a client holding states (every linked roles visit mints
// one, and so may a site's login button) spends the bot's token endpoint budget, and the invalid
// requests Cloudflare bans an address for, at its own pace, one request of ours per callback.
//
// A refusal is counted here and nowhere else. It never reached Discord, so it is not one of the
// invalid requests the client's breaker counts toward Cloudflare's ban
// (rest::request_limits): counted there, anyone could fill that window with cheap callbacks and
// stop every Bearer request of the bot for its ten minutes, banning the bot by our own hand.
#pragma once

#include "server/peer_rate.hpp"

#include <asio/ip/address.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>

namespace discord::oauth2::web {

class exchange_limits {
public:
    using clock = std::chrono::steady_clock;

    /// `per_minute_per_client` exchanges a minute per client network (an IPv6 address counted by
    /// its first `ipv6_prefix` bits), in bursts of as many; `per_second` in all, in bursts of as
    /// many. 0 turns either off.
    exchange_limits(std::size_t per_minute_per_client, std::size_t per_second, std::size_t ipv6_prefix);

    /// Counts one exchange for `peer` (an unspecified address, a client nobody named, is counted
    /// in all only): nullopt when it may go on, else how long to wait. A refusal takes nothing
    /// from either rate and is counted in refused().
    [[nodiscard]] std::optional<std::chrono::seconds> take(const asio::ip::address& peer, clock::time_point now);

    /// Returns what take() counted for `peer` when no exchange followed after all (the state had
    /// been spent, or could not be checked).
    void give_back(const asio::ip::address& peer);

    /// Exchanges refused so far.
    [[nodiscard]] std::uint64_t refused() const noexcept { return refused_; }

private:
    std::optional<server::peer_rate> clients_;
    double per_second_ = 0; // 0: no limit in all
    std::mutex mutex_;      // callbacks may run on several threads
    double tokens_ = 0;
    clock::time_point at_{};
    std::atomic<std::uint64_t> refused_{0};
};

} // namespace discord::oauth2::web
