// What the client has learnt about Discord's limits: per-route buckets, the global limit, and a
// breaker that stops sending with a credential after it drew too many 401/403 answers in a row
// (Discord bans callers that keep failing: docs/discord.md, rate limits). Every number Discord sends is hostile:
// waits are parsed as finite, negatives become 0, and nothing exceeds the configured maximum wait.
#pragma once

#include "http/client.hpp"

#include <discord/oauth2/client.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
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

class request_limits {
public:
    explicit request_limits(retry_policy policy) : policy_(std::move(policy)) {}

    /// When `route` may next be sent (the global limit, or its bucket when empty).
    [[nodiscard]] steady_time earliest(const std::string& route);

    /// Until when sending with `credential` (the request's Authorization header, empty for a
    /// public client) is stopped by the breaker, if it is: its own count, or, for a Bearer
    /// credential, the count of invalid answers in the window.
    [[nodiscard]] std::optional<steady_time> stopped_until(std::string_view credential, steady_time now);

    /// Learns from an answer to `route` sent with `credential`.
    void learn(const std::string& route, std::string_view credential, const http::response& r, steady_time now);

    /// The longest a 429 may be waited out (the policy's max_rate_limit_wait).
    [[nodiscard]] std::chrono::milliseconds max_wait() const noexcept { return policy_.max_rate_limit_wait; }

    /// Credentials the breaker currently tracks (bounded; for tests).
    [[nodiscard]] std::size_t tracked_credentials();

private:
    struct bucket_state {
        long remaining = 1;
        steady_time reset_at;
    };
    struct credential_state {
        int invalid_in_a_row = 0;
        steady_time stopped_until;
    };

    static constexpr std::size_t max_tracked = 10'000;
    void forget_some(steady_time now);

    retry_policy policy_;
    std::mutex mutex_; // the client may be shared by coroutines on several threads
    std::unordered_map<std::string, std::string> route_buckets_; // route -> Discord's bucket id
    std::unordered_map<std::string, bucket_state> buckets_;      // bucket id -> state
    steady_time global_until_;
    // By a hash of the credential: no token is kept as a key, and a collision only merges two
    // credentials' counts. Entries go when their credential succeeds; at most max_tracked stay.
    std::unordered_map<std::uint64_t, credential_state> credentials_;
    // 401/403 answers in the current window, for the net under every credential.
    steady_time window_start_;
    int invalid_in_window_ = 0;
};

} // namespace discord::oauth2::rest
