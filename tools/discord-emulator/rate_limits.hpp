// Discord's rate limits on API routes (docs/discord.md): a bucket per route, caller and major
// parameter (the guild, channel or webhook a route is under), a global limit per caller,
// X-RateLimit-* headers on every answer and 429 with Retry-After past a limit. Callers are told
// apart by their Authorization header (one bucket per token, as Discord does). Windows that have
// ended are forgotten, so a run with a million users holds only the ones still counting.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

namespace discord::oauth2::emulator {

struct bucket_limit {
    int limit = 10;
    std::chrono::milliseconds window{10'000};
};

struct rate_limit_options {
    bool enabled = true;
    bucket_limit per_route{10, std::chrono::seconds(10)};
    bucket_limit global{50, std::chrono::seconds(1)};
    /// Overrides by bucket name ("users_me", "guilds", "connections", "oauth2_me", "guild_member",
    /// "guild_join", "role_connection").
    std::unordered_map<std::string, bucket_limit> routes;
};

class rate_limiter {
public:
    using time_point = std::chrono::system_clock::time_point;

    struct decision {
        bool allowed = true;
        bool global = false;  ///< the global limit refused it
        int limit = 0;
        int remaining = 0;
        double reset_after = 0; ///< seconds until the route bucket refills
        double reset_at = 0;    ///< the same as Unix time
        double retry_after = 0; ///< when refused: seconds to wait
        std::string bucket;     ///< opaque id shared by the routes of one bucket
    };

    explicit rate_limiter(rate_limit_options options) : options_(std::move(options)) {}

    /// Counts a request to `bucket` by `caller` (its Authorization header) on the resource
    /// `major` (empty when the route has none).
    decision check(std::string_view bucket, std::string_view caller, std::string_view major, time_point now);
    [[nodiscard]] bool enabled() const noexcept { return options_.enabled; }
    void reset() { buckets_.clear(); }
    /// Windows currently counted (ended ones are dropped as the table grows).
    [[nodiscard]] std::size_t windows() const noexcept { return buckets_.size(); }

private:
    struct window {
        int remaining = 0;
        time_point reset_at;
    };
    window& take(const std::string& key, const bucket_limit& limit, time_point now);

    void forget_ended(time_point now);

    rate_limit_options options_;
    std::unordered_map<std::string, window> buckets_; // by bucket, major parameter and a hash of the caller
    std::size_t sweep_at_ = 4096;                     // the size at which ended windows are dropped next
};

} // namespace discord::oauth2::emulator
