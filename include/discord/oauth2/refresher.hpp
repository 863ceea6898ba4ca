// Keeps grants alive: refreshes each one a margin before its access token expires, one refresh
// per grant at a time, and commits the rotated grant to the store before anyone gets the new
// access token. Discord rotates refresh tokens: a refresh whose answer is lost may have spent
// the only refresh token there was, so every refresh is recorded as in flight before it is
// sent, and a grant found in flight after a crash is flagged as needing re-authorization.
//
//   oauth2::refresher keeper(io.get_executor(), discord, store, {.margin = 1h});
//   keeper.on_grant_lost = [](const oauth2::grant_lost& lost) { ask_to_authorize_again(lost.user_id); };
//   co_await keeper.recover();           // after a restart
//   keeper.start();                      // background refreshes
//   auto token = co_await keeper.fresh_access_token(user);
#pragma once

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/token_store.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace discord::oauth2 {

/// When and how often a refresher refreshes.
struct refresher_config {
    /// Refresh a grant when its access token has less than this left.
    std::chrono::seconds margin{std::chrono::hours(1)};
    /// Refreshes the background loop sends at once (Discord's token endpoint is rate-limited).
    std::size_t max_in_flight = 4;
    /// How often the background loop looks for grants that need refreshing.
    std::chrono::seconds scan_interval{60};
    /// Transient failures (connection refused, 5xx, a long 429) are retried after this, doubled
    /// each time, up to `max_attempts` and never past the token's expiry.
    std::chrono::milliseconds retry_backoff{1000};
    /// Attempts per refresh for transient failures, the first included.
    int max_attempts = 5;
};

/// A grant that only a new authorization can bring back.
struct grant_lost {
    snowflake user_id;    ///< whose grant it was
    std::error_code code; ///< invalid_grant, or outcome_unknown (a refresh whose answer was lost)
    std::string reason;   ///< what happened, for people
};

/// Keeps grants alive: refreshes each one a margin before its access token expires, one
/// refresh per grant at a time, and commits the rotated grant to the store before anyone gets
/// the new access token. Every refresh is recorded as in flight before it is sent, so that a
/// grant found in flight after a crash is probed (recover()) instead of lost silently.
///
/// Threads and lifetimes: members may be called from any thread; the work runs on the
/// executor. The client and the store must outlive the refresher; stop() before destroying it
/// when refreshes may be in flight.
class refresher {
public:
    /// A refresher for the grants of `store`, refreshing with `discord` on `executor`. Nothing
    /// runs until start() or a call. Throws `error` (invalid_argument) without a store, or with
    /// max_in_flight or max_attempts below 1.
    refresher(asio::any_io_executor executor, client& discord, std::shared_ptr<token_store> store,
              refresher_config config);
    /// The same with the default config.
    refresher(asio::any_io_executor executor, client& discord, std::shared_ptr<token_store> store);
    /// Stops the background loop; refreshes in flight finish on their own.
    ~refresher();
    refresher(const refresher&) = delete;
    refresher& operator=(const refresher&) = delete;

    /// A token good for at least the margin: the stored one, or a refreshed one (committed
    /// first). Concurrent calls for one user share one refresh. Throws no_grant, or the error
    /// that lost the grant (invalid_grant, outcome_unknown; then needs_reauthorization() is true).
    [[nodiscard]] asio::awaitable<access_token> fresh_access_token(snowflake user);
    /// Refreshes now whatever the expiry (shared with concurrent calls for the user).
    [[nodiscard]] asio::awaitable<access_token> refresh(snowflake user);

    /// After a restart: probes every grant left with a refresh in flight by refreshing it with
    /// its stored refresh token. Success means the interrupted refresh never reached Discord:
    /// the new pair is committed and nothing is lost. invalid_grant means it did and the token
    /// was rotated away: the grant is flagged as needing re-authorization and reported through
    /// on_grant_lost once. Returns the users whose grant was found lost; a grant whose probe
    /// met a transient failure (Discord unreachable) stays as it is, to be probed again.
    [[nodiscard]] asio::awaitable<std::vector<snowflake>> recover();

    /// The users whose grant is flagged as needing re-authorization.
    [[nodiscard]] asio::awaitable<std::vector<snowflake>> needing_reauthorization();

    /// The background loop: every scan_interval, refreshes the grants that expire within the
    /// margin, max_in_flight at a time. stop() ends it: it completes once the refreshes under
    /// way have committed their outcome and the loop has returned.
    void start();
    /// Ends the background loop: completes once the refreshes under way have committed their
    /// outcome and the loop has returned. Calls after the first complete at once.
    [[nodiscard]] asio::awaitable<void> stop();

    /// Told about every grant found lost, once. Called on the refresher's executor.
    std::function<void(const grant_lost&)> on_grant_lost;
    /// Told about every rotated grant once it is committed.
    std::function<void(snowflake, const access_token&)> on_refreshed;

    /// Refresh requests sent to Discord so far.
    [[nodiscard]] std::uint64_t refreshes_sent() const noexcept;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace discord::oauth2
