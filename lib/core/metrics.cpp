// The metrics observer's label sets and the counting observer (metrics.hpp). Label values are
// fixed here, so that no value from the network ever becomes a series: a route or webhook type
// outside the sets is counted as "other".
#include <discord/oauth2/metrics.hpp>

#include <algorithm>
#include <map>
#include <utility>

namespace discord::oauth2 {
namespace {

constexpr std::string_view routes[] = {
    "POST /oauth2/token (authorization_code)",
    "POST /oauth2/token (refresh_token)",
    "POST /oauth2/token (client_credentials)",
    "POST /oauth2/token (device_code)",
    "POST /oauth2/token/revoke",
    "POST /oauth2/device/authorize",
    "GET /oauth2/@me",
    "GET /oauth2/userinfo",
    "GET jwks_uri",
    "GET /users/@me",
    "GET /users/@me/connections",
    "GET /users/@me/guilds",
    "GET /users/@me/guilds/{guild}/member",
    "PUT /guilds/{guild}/members/{user}",
    "GET /users/@me/applications/{application}/role-connection",
    "PUT /users/@me/applications/{application}/role-connection",
    "DELETE /users/@me/applications/{application}/role-connection",
    "GET /applications/@me",
    "PATCH /applications/@me",
    "GET /oauth2/applications/@me",
    "GET /applications/{application}/role-connections/metadata",
    "PUT /applications/{application}/role-connections/metadata",
    "GET /applications/{application}/guilds/{guild}/commands/permissions",
    "GET /applications/{application}/guilds/{guild}/commands/{command}/permissions",
    "PUT /applications/{application}/guilds/{guild}/commands/{command}/permissions",
    "POST /users/@me/channels",
    "PUT /channels/{channel}/recipients/{user}",
    "other",
};

constexpr std::string_view webhook_types[] = {
    "APPLICATION_AUTHORIZED",
    "APPLICATION_DEAUTHORIZED",
    "ENTITLEMENT_CREATE",
    "ENTITLEMENT_UPDATE",
    "ENTITLEMENT_DELETE",
    "QUEST_USER_ENROLLMENT",
    "LOBBY_MESSAGE_CREATE",
    "LOBBY_MESSAGE_UPDATE",
    "LOBBY_MESSAGE_DELETE",
    "GAME_DIRECT_MESSAGE_CREATE",
    "GAME_DIRECT_MESSAGE_UPDATE",
    "GAME_DIRECT_MESSAGE_DELETE",
    "PING",
    "other",
    "unknown",
};

template <class Enum>
std::size_t index_of(Enum e) noexcept
{
    return static_cast<std::size_t>(e);
}

} // namespace

std::string_view to_string(rate_limit_scope scope) noexcept
{
    switch (scope) {
    case rate_limit_scope::bucket: return "bucket";
    case rate_limit_scope::global: return "global";
    case rate_limit_scope::shared: return "shared";
    }
    return "bucket";
}

std::string_view to_string(callback_outcome outcome) noexcept
{
    switch (outcome) {
    case callback_outcome::authorized: return "authorized";
    case callback_outcome::denied: return "denied";
    case callback_outcome::invalid_state: return "invalid_state";
    case callback_outcome::expired: return "expired";
    case callback_outcome::replay: return "replay";
    case callback_outcome::refused_account: return "refused_account";
    case callback_outcome::rate_limited: return "rate_limited";
    case callback_outcome::code_refused: return "code_refused";
    case callback_outcome::failed: return "failed";
    }
    return "failed";
}

std::string_view to_string(refresh_outcome outcome) noexcept
{
    switch (outcome) {
    case refresh_outcome::refreshed: return "refreshed";
    case refresh_outcome::lost: return "lost";
    case refresh_outcome::failed: return "failed";
    }
    return "failed";
}

std::string_view to_string(webhook_outcome outcome) noexcept
{
    switch (outcome) {
    case webhook_outcome::accepted: return "accepted";
    case webhook_outcome::replay: return "replay";
    case webhook_outcome::bad_signature: return "bad_signature";
    case webhook_outcome::stale: return "stale";
    case webhook_outcome::malformed: return "malformed";
    case webhook_outcome::too_large: return "too_large";
    case webhook_outcome::unavailable: return "unavailable";
    }
    return "malformed";
}

std::span<const std::string_view> request_routes() noexcept { return routes; }

std::span<const std::string_view> webhook_event_types() noexcept { return webhook_types; }

void metrics_observer::request_finished(std::string_view, int, std::chrono::nanoseconds) noexcept {}
void metrics_observer::rate_limit_waited(rate_limit_scope, std::chrono::nanoseconds) noexcept {}
void metrics_observer::invalid_requests_changed(std::size_t) noexcept {}
void metrics_observer::link_created() noexcept {}
void metrics_observer::links_pending_changed(std::int64_t) noexcept {}
void metrics_observer::callback_answered(callback_outcome) noexcept {}
void metrics_observer::waiters_changed(std::int64_t) noexcept {}
void metrics_observer::refresh_finished(refresh_outcome) noexcept {}
void metrics_observer::grants_counted(std::size_t) noexcept {}
void metrics_observer::store_reachable(bool) noexcept {}
void metrics_observer::webhook_event_received(std::string_view, webhook_outcome) noexcept {}
void metrics_observer::cluster_message_dropped() noexcept {}

std::uint64_t metrics_snapshot::requests_to(std::string_view route, int status) const noexcept
{
    for (const auto& r : requests_by_route)
        if (r.route == route && r.status == status)
            return r.count;
    return 0;
}

// Keyed by the sets' own string_views (static storage), so a snapshot can hand them out.
struct metrics_counters::tables {
    struct request_totals {
        std::uint64_t count = 0;
        std::int64_t nanoseconds = 0;
    };
    std::map<std::pair<std::string_view, int>, request_totals> requests;
    std::map<std::pair<std::string_view, webhook_outcome>, std::uint64_t> webhook_events;
};

namespace {

// The set's own copy of `value`, or "other": the only label values ever kept.
std::string_view in_set(std::span<const std::string_view> set, std::string_view value) noexcept
{
    auto it = std::find(set.begin(), set.end(), value);
    return it != set.end() ? *it : std::string_view("other");
}

} // namespace

metrics_counters::metrics_counters() : tables_(std::make_unique<tables>()) {}

metrics_counters::~metrics_counters() = default;

void metrics_counters::request_finished(std::string_view route, int status, std::chrono::nanoseconds took) noexcept
{
    auto label = in_set(routes, route);
    if (status < 0 || status > 999)
        status = 0;
    try {
        std::lock_guard lock(mutex_);
        auto& totals = tables_->requests[{label, status}];
        ++totals.count;
        totals.nanoseconds += took.count();
    } catch (...) {
        // Out of memory for a new (route, status): that one observation is not counted.
    }
}

void metrics_counters::rate_limit_waited(rate_limit_scope scope, std::chrono::nanoseconds waited) noexcept
{
    rate_limit_waits_[index_of(scope)].fetch_add(1, std::memory_order_relaxed);
    rate_limit_wait_ns_.fetch_add(waited.count(), std::memory_order_relaxed);
}

void metrics_counters::invalid_requests_changed(std::size_t count) noexcept
{
    invalid_requests_.store(count, std::memory_order_relaxed);
}

void metrics_counters::link_created() noexcept { links_created_.fetch_add(1, std::memory_order_relaxed); }

void metrics_counters::links_pending_changed(std::int64_t delta) noexcept
{
    links_pending_.fetch_add(delta, std::memory_order_relaxed);
}

void metrics_counters::callback_answered(callback_outcome outcome) noexcept
{
    callbacks_[index_of(outcome)].fetch_add(1, std::memory_order_relaxed);
}

void metrics_counters::waiters_changed(std::int64_t delta) noexcept { waiters_.fetch_add(delta, std::memory_order_relaxed); }

void metrics_counters::refresh_finished(refresh_outcome outcome) noexcept
{
    refreshes_[index_of(outcome)].fetch_add(1, std::memory_order_relaxed);
}

void metrics_counters::grants_counted(std::size_t count) noexcept { grants_.store(count, std::memory_order_relaxed); }

void metrics_counters::store_reachable(bool answered) noexcept { store_up_.store(answered, std::memory_order_relaxed); }

void metrics_counters::webhook_event_received(std::string_view type, webhook_outcome outcome) noexcept
{
    auto label = in_set(webhook_types, type);
    try {
        std::lock_guard lock(mutex_);
        ++tables_->webhook_events[{label, outcome}];
    } catch (...) {
    }
}

void metrics_counters::cluster_message_dropped() noexcept { cluster_dropped_.fetch_add(1, std::memory_order_relaxed); }

metrics_snapshot metrics_counters::snapshot() const
{
    metrics_snapshot s;
    for (std::size_t i = 0; i < s.rate_limit_waits.size(); ++i)
        s.rate_limit_waits[i] = rate_limit_waits_[i].load(std::memory_order_relaxed);
    s.rate_limit_wait_seconds = static_cast<double>(rate_limit_wait_ns_.load(std::memory_order_relaxed)) / 1e9;
    s.invalid_requests_in_window = invalid_requests_.load(std::memory_order_relaxed);
    s.links_created = links_created_.load(std::memory_order_relaxed);
    s.links_pending = static_cast<std::size_t>(std::max<std::int64_t>(0, links_pending_.load(std::memory_order_relaxed)));
    for (std::size_t i = 0; i < s.callbacks.size(); ++i)
        s.callbacks[i] = callbacks_[i].load(std::memory_order_relaxed);
    s.waiters = static_cast<std::size_t>(std::max<std::int64_t>(0, waiters_.load(std::memory_order_relaxed)));
    for (std::size_t i = 0; i < s.refreshes.size(); ++i)
        s.refreshes[i] = refreshes_[i].load(std::memory_order_relaxed);
    s.grants = grants_.load(std::memory_order_relaxed);
    s.store_up = store_up_.load(std::memory_order_relaxed);
    s.cluster_messages_dropped = cluster_dropped_.load(std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    for (const auto& [key, totals] : tables_->requests)
        s.requests_by_route.push_back({key.first, key.second, totals.count, static_cast<double>(totals.nanoseconds) / 1e9});
    for (const auto& [key, count] : tables_->webhook_events)
        s.webhook_events_by_type.push_back({key.first, key.second, count});
    return s;
}

} // namespace discord::oauth2
