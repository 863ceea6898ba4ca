#include "client/request_limits.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>

namespace discord::oauth2::rest {

std::chrono::milliseconds discord_wait(std::optional<double> seconds, std::chrono::milliseconds fallback,
                                       std::chrono::milliseconds max)
{
    if (!seconds || !std::isfinite(*seconds))
        return std::min(fallback, max);
    if (*seconds <= 0)
        return std::chrono::milliseconds(0);
    // Compared as doubles before any conversion: 1e300 s must never reach an integer cast.
    double ms = std::ceil(*seconds * 1000.0);
    if (ms >= static_cast<double>(max.count()))
        return max;
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ms));
}

std::optional<double> header_seconds(const http::response& r, std::string_view name)
{
    auto h = r.fields.find(name);
    if (!h)
        return std::nullopt;
    double v = 0;
    auto [end, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
    if (ec != std::errc() || end != h->data() + h->size())
        return std::nullopt;
    return v;
}

namespace {

// X-RateLimit-Remaining as a count: anything but a whole number from 0 up is "unknown" (1).
long remaining_of(const http::response& r)
{
    auto h = r.fields.find("x-ratelimit-remaining");
    long v = 1;
    if (!h)
        return v;
    auto [end, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
    if (ec != std::errc() || end != h->data() + h->size() || v < 0)
        return 1;
    return v;
}

std::uint64_t credential_key(std::string_view credential)
{
    return std::hash<std::string_view>{}(credential);
}

} // namespace

steady_time request_limits::earliest(const std::string& route)
{
    std::lock_guard lock(mutex_);
    auto when = global_until_;
    if (auto b = route_buckets_.find(route); b != route_buckets_.end())
        if (auto s = buckets_.find(b->second); s != buckets_.end() && s->second.remaining <= 0)
            when = std::max(when, s->second.reset_at);
    return when;
}

std::optional<steady_time> request_limits::stopped_until(std::string_view credential, steady_time now)
{
    std::lock_guard lock(mutex_);
    if (credential.starts_with("Bearer ") && now < window_start_ + policy_.invalid_window
        && invalid_in_window_ >= policy_.invalid_requests_per_window)
        return window_start_ + policy_.invalid_window;
    auto it = credentials_.find(credential_key(credential));
    if (it == credentials_.end() || now >= it->second.stopped_until)
        return std::nullopt;
    return it->second.stopped_until;
}

void request_limits::learn(const std::string& route, std::string_view credential, const http::response& r,
                           steady_time now)
{
    auto max = max_wait();
    std::lock_guard lock(mutex_);
    if (auto bucket = r.fields.find("x-ratelimit-bucket")) {
        auto& b = buckets_[std::string(*bucket)];
        route_buckets_[route] = std::string(*bucket);
        b.remaining = remaining_of(r);
        b.reset_at = now + discord_wait(header_seconds(r, "x-ratelimit-reset-after"), std::chrono::milliseconds(0), max);
    }
    if (r.status == 429 && r.fields.find("x-ratelimit-global") == "true")
        global_until_ = now + discord_wait(header_seconds(r, "retry-after"), std::chrono::seconds(1), max);

    auto key = credential_key(credential);
    if (r.status == 401 || r.status == 403) {
        if (now >= window_start_ + policy_.invalid_window) {
            window_start_ = now;
            invalid_in_window_ = 0;
        }
        ++invalid_in_window_;
        if (credentials_.size() >= max_tracked && !credentials_.contains(key))
            forget_some(now);
        auto& c = credentials_[key];
        if (++c.invalid_in_a_row >= policy_.invalid_request_limit)
            c.stopped_until = now + policy_.invalid_cooldown;
    } else if (r.status != 429) {
        credentials_.erase(key);
    }
}

void request_limits::forget_some(steady_time now)
{
    // Stopped credentials are kept (they protect the application); the others are only counts.
    std::erase_if(credentials_, [now](const auto& entry) { return entry.second.stopped_until <= now; });
    if (credentials_.size() >= max_tracked)
        credentials_.erase(credentials_.begin());
}

std::size_t request_limits::tracked_credentials()
{
    std::lock_guard lock(mutex_);
    return credentials_.size();
}

} // namespace discord::oauth2::rest
