#include "rate_limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace discord::oauth2::emulator {
namespace {

double seconds(std::chrono::system_clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

} // namespace

void rate_limiter::forget_ended(time_point now)
{
    // Amortised: a sweep runs each time the table has doubled since the last one.
    std::erase_if(buckets_, [now](const auto& entry) { return now >= entry.second.reset_at; });
    sweep_at_ = std::max<std::size_t>(4096, buckets_.size() * 2);
}

rate_limiter::window& rate_limiter::take(const std::string& key, const bucket_limit& limit, time_point now)
{
    auto& w = buckets_[key];
    if (now >= w.reset_at) { // a fresh window starts with the first request after the last one ended
        w.remaining = limit.limit;
        w.reset_at = now + limit.window;
    }
    return w;
}

rate_limiter::decision rate_limiter::check(std::string_view bucket, std::string_view caller,
                                           std::string_view major, time_point now)
{
    if (buckets_.size() >= sweep_at_)
        forget_ended(now);
    decision d;
    auto it = options_.routes.find(std::string(bucket));
    const auto& route_limit = it == options_.routes.end() ? options_.per_route : it->second;
    d.bucket = fmt::format("{:016x}", std::hash<std::string_view>{}(bucket));
    d.limit = route_limit.limit;

    // The caller by a hash of its token: the table keeps no token, and stays small per entry.
    auto caller_key = fmt::format("{:016x}", std::hash<std::string_view>{}(caller));
    auto& global = take("global\n" + caller_key, options_.global, now);
    auto& route = take(fmt::format("{}\n{}\n{}", bucket, major, caller_key), route_limit, now);
    d.reset_after = seconds(route.reset_at - now);
    d.reset_at = seconds(route.reset_at.time_since_epoch());

    if (global.remaining <= 0) {
        d.allowed = false;
        d.global = true;
        d.retry_after = seconds(global.reset_at - now);
        d.remaining = route.remaining;
        return d;
    }
    if (route.remaining <= 0) {
        d.allowed = false;
        d.retry_after = d.reset_after;
        return d;
    }
    --global.remaining;
    d.remaining = --route.remaining;
    return d;
}

} // namespace discord::oauth2::emulator
