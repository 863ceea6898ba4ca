// What the client has learnt about Discord's limits, keyed as Discord keys them: a bucket is
// (credential, Discord's bucket id, major parameter), the global limit is per credential, and a
// breaker stops sending with a credential after it drew too many 401/403 answers in a row
// (Discord bans callers that keep failing: docs/discord.md, rate limits). One user's exhausted
// bucket or global 429 never holds up another user, and one guild's bucket never another guild.
// Every number Discord sends is hostile: waits are parsed as finite, negatives become 0, and
// nothing exceeds the configured maximum wait. Every table is bounded (docs/client.md).
#pragma once

#include "http/client.hpp"

#include <discord/oauth2/client.hpp>

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

namespace discord::oauth2::rest {

using steady_time = std::chrono::steady_clock::time_point;

/// A wait Discord sent in seconds (`Retry-After`, `X-RateLimit-Reset-After`, a body's
/// `retry_after`): nullopt or not finite gives `fallback`; negatives are 0; capped at `max`.
[[nodiscard]] std::chrono::milliseconds discord_wait(std::optional<double> seconds, std::chrono::milliseconds fallback,
                                                     std::chrono::milliseconds max);

/// A header holding a number, when it is one (inf and nan included: discord_wait sorts them out).
[[nodiscard]] std::optional<double> header_seconds(const http::response& r, std::string_view name);

/// The major parameter of a request to Discord's API: the id right after `/guilds/`,
/// `/channels/` or `/webhooks/` at the start of the path under `api` (the API's base URL), as
/// Discord splits buckets by it; empty for every other route.
[[nodiscard]] std::string_view major_parameter(std::string_view url, std::string_view api) noexcept;

/// Whom a request is limited as: a hash of its Authorization header (a user's token, the bot
/// token, the client's own credentials; no token is kept) and its route's major parameter.
struct limit_key {
    std::uint64_t credential = 0;
    std::uint64_t major = 0; ///< 0: the route has none
    bool bearer = false;     ///< a user's token: the net under every credential applies to it

    /// `authorization` is the request's Authorization header (empty for a public client),
    /// `major` what major_parameter() found.
    [[nodiscard]] static limit_key of(std::string_view authorization, std::string_view major = {}) noexcept;
};

class request_limits {
public:
    explicit request_limits(retry_policy policy) : policy_(std::move(policy)) {}

    /// When a request may be sent, and which limit holds it until then.
    struct send_time {
        steady_time when{};
        rate_limit_scope scope = rate_limit_scope::bucket;
    };
    /// When `route` may next be sent as `who`: its credential's global limit, its own exhausted
    /// bucket, or the bucket's shared limit on the same resource, whichever ends last.
    [[nodiscard]] send_time earliest(std::string_view route, const limit_key& who);

    /// Invalid answers counted in the window that holds `now` (0 once it has passed).
    [[nodiscard]] std::size_t invalid_in_window(steady_time now);

    /// Until when sending as `who` is stopped by the breaker, if it is: its own count, or, for a
    /// Bearer credential, the count of invalid answers in the window.
    [[nodiscard]] std::optional<steady_time> stopped_until(const limit_key& who, steady_time now);

    /// Learns from an answer to `route` sent as `who`.
    void learn(std::string_view route, const limit_key& who, const http::response& r, steady_time now);

    /// The longest a 429 may be waited out (the policy's max_rate_limit_wait).
    [[nodiscard]] std::chrono::milliseconds max_wait() const noexcept { return policy_.max_rate_limit_wait; }

    /// Credentials the breaker currently tracks (at most max_tracked; for tests).
    [[nodiscard]] std::size_t tracked_credentials();
    /// Exhausted buckets and global limits currently held (at most max_holds; for tests).
    [[nodiscard]] std::size_t held_limits();

    /// The longest a hold lasts whatever Discord said (or the policy's max_rate_limit_wait if longer).
    static constexpr std::chrono::minutes longest_hold{10};
    static constexpr std::size_t max_tracked = 10'000;
    static constexpr std::size_t max_holds = 16'384;

private:
    // A hold: until when one (credential, major parameter, bucket) may not send. bucket 0 is the
    // credential's global limit; credential 0 a shared (per-resource) limit for everyone.
    struct hold_key {
        std::uint64_t credential = 0;
        std::uint64_t major = 0;
        std::uint64_t bucket = 0;
        auto operator<=>(const hold_key&) const = default;
    };
    struct hold_hash {
        std::size_t operator()(const hold_key& k) const noexcept;
    };
    struct credential_state {
        int invalid_in_a_row = 0;
        steady_time stopped_until;
    };

    void hold(const hold_key& key, steady_time until, steady_time now);
    void release(const hold_key& key);
    [[nodiscard]] steady_time held_until(const hold_key& key) const;
    void forget_some(steady_time now);

    retry_policy policy_;
    std::mutex mutex_; // the client may be shared by coroutines on several threads
    // Our route names ("GET /users/@me") are a fixed set: Discord's bucket id for each, hashed.
    struct route_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view route) const noexcept { return std::hash<std::string_view>{}(route); }
    };
    std::unordered_map<std::string, std::uint64_t, route_hash, std::equal_to<>> route_buckets_;
    // Only exhausted buckets and global limits are kept: a bucket with requests left holds
    // nothing. Indexed by when they end, so the ended ones go in O(log n) as answers arrive and,
    // at max_holds, the one ending soonest makes room (at worst one request meets a 429).
    std::unordered_map<hold_key, steady_time, hold_hash> holds_;
    std::set<std::pair<steady_time, hold_key>> holds_by_end_;
    // By a hash of the credential: no token is kept as a key, and a collision only merges two
    // credentials' counts. Entries go when their credential succeeds; at most max_tracked stay.
    std::unordered_map<std::uint64_t, credential_state> credentials_;
    // Invalid answers (401, 403, 429 but those of a shared limit, as Discord counts them) in
    // the current window, for the net under every credential.
    steady_time window_start_;
    int invalid_in_window_ = 0;
};

} // namespace discord::oauth2::rest
