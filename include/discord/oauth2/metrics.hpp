// What the library counts for an operator: requests to Discord and their timings, waits for
// Discord's limits, the distance to Discord's invalid-request ban, links, callbacks, waiters,
// refreshes, stored grants, webhook events and refused cluster messages (docs/operations.md).
//
//   auto counters = std::make_shared<oauth2::metrics_counters>();
//   config.metrics = counters;            // client_config: the web server and refresher use it too
//   ...
//   auto now = counters->snapshot();      // or hand the observations to a metrics library:
//   config.metrics = oauth2::make_prometheus_metrics(registry);   // prometheus.hpp
//
// Nothing here depends on a metrics library: a `metrics_observer` is told what happens, and
// `metrics_counters` is one that keeps counts a bot can read. Every label value comes from a
// fixed set (the enums below, request_routes(), webhook_event_types()): never a user id, a token
// or anything else a user or Discord chooses.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2 {

/// Which of Discord's limits a wait was for.
enum class rate_limit_scope {
    bucket, ///< a route's bucket, for one credential (Discord's "user" scope)
    global, ///< the credential's global limit
    shared, ///< a resource's limit, shared by every caller (Discord's "shared" scope)
};

/// How a callback at the redirect URI ended, as its page told the browser.
enum class callback_outcome {
    authorized,      ///< a code exchanged, the grant stored, the waiters woken
    denied,          ///< the person cancelled, or Discord refused the authorization
    invalid_state,   ///< a state that is not ours (forged, malformed, missing)
    expired,         ///< a state of ours whose link has expired (or sealed under a key dropped since)
    replay,          ///< a state used before (answered with the first callback's page)
    refused_account, ///< another account than the link's, fewer scopes than it asked for, an ID token that does not verify
    rate_limited,    ///< past the exchange limits: 429 before the state was spent
    code_refused,    ///< Discord refused the code (invalid_grant, invalid_request): made up, spent or expired
    failed,          ///< the bot's side failed: the exchange (5xx, no answer, invalid_client), the store, the linked roles push
};

/// How a refresh of a stored grant ended.
enum class refresh_outcome {
    refreshed, ///< the rotated pair is stored
    lost,      ///< only a new authorization brings the grant back (a grant_lost event)
    failed,    ///< a transient failure; the grant is kept and tried again
};

/// What became of a request at the webhook events endpoint.
enum class webhook_outcome {
    accepted,      ///< signed, fresh, read and acted on (or a PING answered); in a cluster, a replay too (found after the answer)
    replay,        ///< a signed request taken before: acknowledged, ignored
    bad_signature, ///< no signature or timestamp, or a signature that is not the application's key's
    stale,         ///< its timestamp is outside the window, checked before the signature: an old replay, a wrong clock, or made up
    malformed,     ///< signed but not an event body the endpoint reads
    too_large,     ///< over events_max_body (a body over the server's limits.max_body is refused before it is counted)
    unavailable,   ///< answered 503 (the replay guard is full)
};

/// The label value of each enum: "bucket", "authorized", "refreshed", "bad_signature", ...
[[nodiscard]] std::string_view to_string(rate_limit_scope scope) noexcept;
/// The label value of a callback outcome: "authorized", "denied", "invalid_state", ...
[[nodiscard]] std::string_view to_string(callback_outcome outcome) noexcept;
/// The label value of a refresh outcome: "refreshed", "lost" or "failed".
[[nodiscard]] std::string_view to_string(refresh_outcome outcome) noexcept;
/// The label value of a webhook outcome: "accepted", "bad_signature", "stale", ...
[[nodiscard]] std::string_view to_string(webhook_outcome outcome) noexcept;

/// Every route a request to Discord is counted under, the last being "other" (never used by
/// this version; there so that a label set stays closed). Routes read as Discord documents them,
/// ids as placeholders: "GET /users/@me", "POST /oauth2/token (authorization_code)".
[[nodiscard]] std::span<const std::string_view> request_routes() noexcept;

/// Every webhook event type counted by name ("APPLICATION_AUTHORIZED", "ENTITLEMENT_CREATE",
/// ...), then "PING", "other" (a type this version does not know) and "unknown" (a request
/// refused before its body was read).
[[nodiscard]] std::span<const std::string_view> webhook_event_types() noexcept;

/// Told what the library does, as it happens. Give one to client_config::metrics: the client,
/// and every web server and refresher made with that client, report to it.
///
/// Threads: called on whatever thread does the work, concurrently from several when the
/// io_context runs on several, sometimes under a lock of the library's: each call must be
/// quick, must not block, must not call back into the library, and must not throw. Every
/// member has an empty default, so an observer overrides what it counts.
class metrics_observer {
public:
    virtual ~metrics_observer() = default;

    /// A request to Discord ended: `route` is one of request_routes(), `status` the HTTP status
    /// of the answer (0 when there was none: refused connection, timeout, lost answer), `took`
    /// from sending to the answer. Each attempt of a retried request counts once.
    virtual void request_finished(std::string_view route, int status, std::chrono::nanoseconds took) noexcept;
    /// The client waited `waited` before sending, for one of Discord's limits: a limit it had
    /// learnt, or a 429 it was answered.
    virtual void rate_limit_waited(rate_limit_scope scope, std::chrono::nanoseconds waited) noexcept;
    /// Discord's invalid requests (401, 403 and 429 but shared ones) in its current 10-minute
    /// window, now `count` (Cloudflare bans an address past 10,000): after every answer, and
    /// whenever client::invalid_requests_in_window() is asked.
    virtual void invalid_requests_changed(std::size_t count) noexcept;
    /// An authorization URL was made (web_server::authorization_url, submit_pending, a linked
    /// roles visit).
    virtual void link_created() noexcept;
    /// The links not answered yet and not expired went up (or down, when negative) by `delta`:
    /// a change, so that several web servers of one client add up. A web server that is
    /// destroyed takes its own away.
    virtual void links_pending_changed(std::int64_t delta) noexcept;
    /// A callback was answered with `outcome`.
    virtual void callback_answered(callback_outcome outcome) noexcept;
    /// The waits (wait_for_access_token) the web servers hold went up (or down) by `delta`.
    virtual void waiters_changed(std::int64_t delta) noexcept;
    /// A refresh of a stored grant ended with `outcome`.
    virtual void refresh_finished(refresh_outcome outcome) noexcept;
    /// The store holds `count` grants (counted by the refresher at each scan, and when a
    /// program asks token_store::count and reports it). Several refreshers of one client over
    /// different stores overwrite each other's count: give each store a client of its own.
    virtual void grants_counted(std::size_t count) noexcept;
    /// Whether the token store answered: the refresher's scans and its writes, a callback's
    /// save, and whoever checks readiness (`discord-oauth2 serve` at scrapes and /readyz).
    virtual void store_reachable(bool answered) noexcept;
    /// A request reached the webhook events endpoint: `type` is one of webhook_event_types().
    virtual void webhook_event_received(std::string_view type, webhook_outcome outcome) noexcept;
    /// A cluster message was refused (web_server::cluster_messages_dropped()).
    virtual void cluster_message_dropped() noexcept;
};

/// What a metrics_counters holds at one moment.
struct metrics_snapshot {
    /// Requests to Discord for one route and status.
    struct requests {
        std::string_view route; ///< one of request_routes()
        int status = 0;         ///< 0: no answer
        std::uint64_t count = 0;   ///< how many
        double seconds_total = 0;  ///< their durations, added up
    };
    /// Webhook requests of one type and outcome.
    struct webhook_events {
        std::string_view type;  ///< one of webhook_event_types()
        webhook_outcome outcome{}; ///< what became of them
        std::uint64_t count = 0;   ///< how many
    };
    std::vector<requests> requests_by_route; ///< routes and statuses seen, by route then status
    std::array<std::uint64_t, 3> rate_limit_waits{};   ///< by rate_limit_scope
    double rate_limit_wait_seconds = 0;                ///< every wait, added up
    std::size_t invalid_requests_in_window = 0;        ///< as last reported
    std::uint64_t links_created = 0;                   ///< authorization URLs made
    std::size_t links_pending = 0;                     ///< as last reported
    std::array<std::uint64_t, 9> callbacks{};          ///< by callback_outcome
    std::size_t waiters = 0;                           ///< as last reported
    std::array<std::uint64_t, 3> refreshes{};          ///< by refresh_outcome
    std::size_t grants = 0;                            ///< as last counted
    bool store_up = true;                              ///< as last reported
    std::vector<webhook_events> webhook_events_by_type; ///< types and outcomes seen
    std::uint64_t cluster_messages_dropped = 0;        ///< refused cluster messages

    /// The callbacks that ended with `o`.
    [[nodiscard]] std::uint64_t callbacks_with(callback_outcome o) const noexcept
    {
        return callbacks[static_cast<std::size_t>(o)];
    }
    /// The refreshes that ended with `o`.
    [[nodiscard]] std::uint64_t refreshes_with(refresh_outcome o) const noexcept
    {
        return refreshes[static_cast<std::size_t>(o)];
    }
    /// Requests to `route` answered `status` (0: no answer).
    [[nodiscard]] std::uint64_t requests_to(std::string_view route, int status) const noexcept;
};

/// An observer that keeps the counts, for a bot to read with snapshot() (or to log, or to hand
/// to a metrics library of its own at its own pace). Counting is a relaxed atomic increment,
/// or a short lock for a request's route and status. Thread-safe.
class metrics_counters : public metrics_observer {
public:
    metrics_counters();
    ~metrics_counters() override;

    /// Everything counted so far.
    [[nodiscard]] metrics_snapshot snapshot() const;

    void request_finished(std::string_view route, int status, std::chrono::nanoseconds took) noexcept override;
    void rate_limit_waited(rate_limit_scope scope, std::chrono::nanoseconds waited) noexcept override;
    void invalid_requests_changed(std::size_t count) noexcept override;
    void link_created() noexcept override;
    void links_pending_changed(std::int64_t delta) noexcept override;
    void callback_answered(callback_outcome outcome) noexcept override;
    void waiters_changed(std::int64_t delta) noexcept override;
    void refresh_finished(refresh_outcome outcome) noexcept override;
    void grants_counted(std::size_t count) noexcept override;
    void store_reachable(bool answered) noexcept override;
    void webhook_event_received(std::string_view type, webhook_outcome outcome) noexcept override;
    void cluster_message_dropped() noexcept override;

private:
    struct tables;
    std::atomic<std::uint64_t> rate_limit_waits_[3]{};
    std::atomic<std::int64_t> rate_limit_wait_ns_{0};
    std::atomic<std::size_t> invalid_requests_{0};
    std::atomic<std::uint64_t> links_created_{0};
    std::atomic<std::int64_t> links_pending_{0};
    std::atomic<std::uint64_t> callbacks_[9]{};
    std::atomic<std::int64_t> waiters_{0};
    std::atomic<std::uint64_t> refreshes_[3]{};
    std::atomic<std::size_t> grants_{0};
    std::atomic<bool> store_up_{true};
    std::atomic<std::uint64_t> cluster_dropped_{0};
    mutable std::mutex mutex_; // guards tables_
    std::unique_ptr<tables> tables_;
};

} // namespace discord::oauth2
