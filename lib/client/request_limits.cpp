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

namespace {

// X-RateLimit-Remaining as a count: anything but a whole number from 0 up is "unknown" (1).
long remaining_of(std::optional<std::string_view> h)
{
    long v = 1;
    if (!h)
        return v;
    auto [end, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
    if (ec != std::errc() || end != h->data() + h->size() || v < 0)
        return 1;
    return v;
}

std::optional<double> seconds_of(std::optional<std::string_view> h)
{
    if (!h)
        return std::nullopt;
    double v = 0;
    auto [end, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
    if (ec != std::errc() || end != h->data() + h->size())
        return std::nullopt;
    return v;
}

// The X-RateLimit-* fields of an answer (the first of each name), read in one pass over its
// fields rather than one search per name. An absent field is a view with no data (a present
// one, empty or not, points into the answer); plain views, as g++ 12 sees optional views read
// here as maybe uninitialised.
struct rate_limit_fields {
    std::string_view bucket, remaining, reset_after, scope, global;

    static std::optional<std::string_view> field(std::string_view v)
    {
        return v.data() ? std::optional(v) : std::nullopt;
    }

    explicit rate_limit_fields(const http::headers& fields)
    {
        constexpr std::string_view prefix = "x-ratelimit-";
        for (auto [name, value] : fields) {
            if (name.size() <= prefix.size() || !http::iequals(name.substr(0, prefix.size()), prefix))
                continue;
            auto rest = name.substr(prefix.size());
            auto take = [&](std::string_view& slot, std::string_view suffix) {
                if (!slot.data() && http::iequals(rest, suffix))
                    slot = value.data() ? value : std::string_view(name.data() + name.size(), 0);
            };
            take(bucket, "bucket");
            take(remaining, "remaining");
            take(reset_after, "reset-after");
            take(scope, "scope");
            take(global, "global");
        }
    }
};

std::uint64_t hash_of(std::string_view text) noexcept
{
    return std::hash<std::string_view>{}(text);
}

} // namespace

std::optional<double> header_seconds(const http::response& r, std::string_view name)
{
    return seconds_of(r.fields.find(name));
}

std::string_view major_parameter(std::string_view url, std::string_view api) noexcept
{
    if (!url.starts_with(api))
        return {};
    auto path = url.substr(api.size());
    for (std::string_view resource : {"/guilds/", "/channels/", "/webhooks/"})
        if (path.starts_with(resource)) {
            auto id = path.substr(resource.size());
            return id.substr(0, id.find_first_of("/?#"));
        }
    return {};
}

limit_key limit_key::of(std::string_view authorization, std::string_view major) noexcept
{
    limit_key k;
    k.credential = hash_of(authorization);
    k.major = major.empty() ? 0 : hash_of(major);
    k.bearer = authorization.starts_with("Bearer ");
    return k;
}

std::size_t request_limits::hold_hash::operator()(const hold_key& k) const noexcept
{
    // The parts are already hashes: mixing them is enough.
    return static_cast<std::size_t>(k.credential ^ (k.major * 0x9e3779b97f4a7c15ULL) ^ (k.bucket * 0xc2b2ae3d27d4eb4fULL));
}

steady_time request_limits::held_until(const hold_key& key) const
{
    auto it = holds_.find(key);
    return it == holds_.end() ? steady_time{} : it->second;
}

void request_limits::hold(const hold_key& key, steady_time until, steady_time now)
{
    // Holds that have ended go first: each is removed once, so this costs O(log n) an answer.
    while (!holds_by_end_.empty() && holds_by_end_.begin()->first <= now) {
        holds_.erase(holds_by_end_.begin()->second);
        holds_by_end_.erase(holds_by_end_.begin());
    }
    if (until <= now) {
        release(key);
        return;
    }
    auto [it, added] = holds_.try_emplace(key, until);
    if (!added) {
        holds_by_end_.erase({it->second, key});
        it->second = until;
    } else if (holds_.size() > max_holds) {
        // Full: the hold that ends soonest makes room; forgetting it costs at most one 429.
        auto soonest = holds_by_end_.begin();
        holds_.erase(soonest->second);
        holds_by_end_.erase(soonest);
    }
    holds_by_end_.emplace(until, key);
}

void request_limits::release(const hold_key& key)
{
    if (auto it = holds_.find(key); it != holds_.end()) {
        holds_by_end_.erase({it->second, key});
        holds_.erase(it);
    }
}

request_limits::send_time request_limits::earliest(std::string_view route, const limit_key& who)
{
    std::lock_guard lock(mutex_);
    send_time t;
    if (holds_.empty())
        return t;
    auto consider = [&](steady_time until, rate_limit_scope scope) {
        if (until > t.when) {
            t.when = until;
            t.scope = scope;
        }
    };
    consider(held_until({who.credential, 0, 0}), rate_limit_scope::global);
    if (auto b = route_buckets_.find(route); b != route_buckets_.end()) {
        consider(held_until({who.credential, who.major, b->second}), rate_limit_scope::bucket);
        consider(held_until({0, who.major, b->second}), rate_limit_scope::shared);
    }
    return t;
}

std::size_t request_limits::invalid_in_window(steady_time now)
{
    std::lock_guard lock(mutex_);
    if (now >= window_start_ + policy_.invalid_window)
        return 0;
    return static_cast<std::size_t>(invalid_in_window_);
}

std::optional<steady_time> request_limits::stopped_until(const limit_key& who, steady_time now)
{
    std::lock_guard lock(mutex_);
    if (who.bearer && now < window_start_ + policy_.invalid_window
        && invalid_in_window_ >= policy_.invalid_requests_per_window)
        return window_start_ + policy_.invalid_window;
    if (credentials_.empty())
        return std::nullopt;
    auto it = credentials_.find(who.credential);
    if (it == credentials_.end() || now >= it->second.stopped_until)
        return std::nullopt;
    return it->second.stopped_until;
}

void request_limits::learn(std::string_view route, const limit_key& who, const http::response& r, steady_time now)
{
    // A hold lasts what Discord said, even past the caller's longest wait (a request in it is
    // then refused at once rather than drawing a 429), up to a bound for hostile numbers.
    auto max = std::max<std::chrono::milliseconds>(max_wait(), longest_hold);
    rate_limit_fields said(r.fields);
    bool shared = said.scope == "shared";
    bool global = r.status == 429 && said.global == "true";
    std::lock_guard lock(mutex_);
    if (auto bucket = rate_limit_fields::field(said.bucket)) {
        auto id = hash_of(*bucket) | 1; // 0 is the global limit's
        if (auto known = route_buckets_.find(route); known != route_buckets_.end())
            known->second = id;
        else
            route_buckets_.emplace(route, id);
        // A bucket's 429 without a count still says the bucket is empty.
        bool bucket_limited = r.status == 429 && !global;
        auto remaining = bucket_limited && !said.remaining.data() ? 0 : remaining_of(rate_limit_fields::field(said.remaining));
        auto reset = discord_wait(seconds_of(rate_limit_fields::field(said.reset_after)), std::chrono::milliseconds(0), max);
        if (shared && r.status == 429) {
            // A shared limit is the resource's, whoever asks: it holds every credential there, but
            // never longer than a caller would wait (one answer must not close a route for all).
            hold({0, who.major, id}, now + std::min<std::chrono::milliseconds>(reset, max_wait()), now);
        } else if (remaining <= 0) {
            hold({who.credential, who.major, id}, now + reset, now);
        } else if (!holds_.empty()) {
            release({who.credential, who.major, id});
        }
    }
    if (global)
        hold({who.credential, 0, 0}, now + discord_wait(header_seconds(r, "retry-after"), std::chrono::seconds(1), max),
             now);

    bool invalid = r.status == 401 || r.status == 403;
    if (invalid || (r.status == 429 && !shared)) {
        if (now >= window_start_ + policy_.invalid_window) {
            window_start_ = now;
            invalid_in_window_ = 0;
        }
        ++invalid_in_window_;
    }
    if (invalid) {
        if (credentials_.size() >= max_tracked && !credentials_.contains(who.credential))
            forget_some(now);
        auto& c = credentials_[who.credential];
        if (++c.invalid_in_a_row >= policy_.invalid_request_limit)
            c.stopped_until = now + policy_.invalid_cooldown;
    } else if (r.status != 429 && !credentials_.empty()) {
        credentials_.erase(who.credential);
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

std::size_t request_limits::held_limits()
{
    std::lock_guard lock(mutex_);
    return holds_.size();
}

} // namespace discord::oauth2::rest
