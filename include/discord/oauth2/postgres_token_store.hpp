// Grants, single-use states and cross-instance wake-ups on PostgreSQL (see
// `postgres_token_store` below, and docs/deployment.md).
#pragma once

#include <discord/oauth2/cluster.hpp>
#include <discord/oauth2/rekey.hpp>
#include <discord/oauth2/store_key.hpp>
#include <discord/oauth2/token_store.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace discord::oauth2 {

/// How a postgres_token_store connects and reconnects.
struct postgres_options {
    /// Connections for statements (two more are kept: one LISTENs, one holds the refresh locks).
    std::size_t pool_size = 4;
    /// How long a statement waits for a restarting server before it fails with store_failed.
    std::chrono::milliseconds reconnect_timeout{10000};
    /// Reconnection attempts start 50 ms apart and back off up to this.
    std::chrono::milliseconds max_backoff{2000};
    /// The statements that queue up while a connection is busy go in one pipeline (one round
    /// trip); with group_commit they also run in one transaction, so they share one commit and
    /// one WAL flush, and each caller is answered only after that commit. A statement that fails
    /// still fails alone: the group is rolled back and its statements run again one by one.
    /// Turn it off to give every statement a transaction of its own (3.5x fewer saves per second
    /// with PostgreSQL's default fsync and synchronous_commit, docs/benchmarks.md).
    bool group_commit = true;
};

/// Grants, single-use states and cross-instance wake-ups on PostgreSQL, for several instances
/// of a bot sharing one database (docs/deployment.md): the token_store of every instance and
/// their cluster.
///
/// @code
/// auto db = co_await oauth2::postgres_token_store::open(executor, "postgres://bot@db/bot", key);
/// config.store = db;   // grants, encrypted at rest as in SQLite's store
/// config.cluster = db; // states consumed once across instances, waiters woken by LISTEN/NOTIFY
/// @endcode
///
/// Every operation is one statement on a small pool driven by the executor (libpq in
/// non-blocking mode, never a blocking call on the event loop); after a broken connection the
/// pool reconnects with backoff and sends the statement again, every statement being safe twice.
/// lock_grant holds a session advisory lock, so one instance at a time refreshes a grant and a
/// crashed instance's lock ends with its connection. May be used from any thread; the io_context
/// of its executor must outlive it.
///
/// It lives in the library discord-oauth2-postgres, the only one that links libpq: link that
/// (CMake: `find_package(discord-oauth2 REQUIRED COMPONENTS postgres)` and the component's
/// target; pkg-config: `discord-oauth2-postgres`). README.md, "Using the library", shows both.
class postgres_token_store final : public token_store, public cluster {
public:
    /// Connects, creates or migrates the schema, and checks the keys: new grants are sealed
    /// under `keys.current()`, a grant opens under whichever key of the ring it names, and the
    /// store's key check must open under one of them (it is written again under the current key
    /// when it was under another). Throws `error`: invalid_argument (malformed URL),
    /// store_failed (unreachable, refused, with the server's reason and never the password),
    /// wrong_store_key (naming the key id the store was written under). A wrong URL or password
    /// fails at once: only later connections are retried.
    [[nodiscard]] static asio::awaitable<std::shared_ptr<postgres_token_store>> open(asio::any_io_executor executor,
                                                                                   std::string url, store_key_ring keys,
                                                                                   postgres_options options);
    /// The same with default options.
    [[nodiscard]] static asio::awaitable<std::shared_ptr<postgres_token_store>> open(asio::any_io_executor executor,
                                                                                   std::string url, store_key_ring keys);
    /// Stops listening; the connections close when the last operation using them has ended.
    ~postgres_token_store() override;

    /// Uses `keys` from now on (a rotation; `discord-oauth2 serve` calls it on SIGHUP), once
    /// the store's key check opens under one of them, and writes the check again under the new
    /// current key. Throws `error` wrong_store_key (the ring in use is kept) or store_failed.
    /// Every instance of a cluster needs each key that any of them seals with (docs/security.md,
    /// "Rotating keys").
    asio::awaitable<void> set_keys(store_key_ring keys);
    /// Re-seals, under the current key, every grant sealed under another key of the ring (or
    /// before keys had ids), 256 rows read at a time, each update checked against the row read
    /// (compare-and-swap on the sealed text; versions are left alone, so no instance's
    /// compare-and-swap fails because of it). Runs beside live instances and their refreshers;
    /// stopped at any point, a second run finishes the job. Grants it cannot open are left as
    /// they were and listed in the report. Throws `error` store_failed.
    asio::awaitable<rekey_report> rekey();

    /// Throws grant_altered, grant_copied or wrong_store_key (sealed under a key the ring lacks:
    /// the message names its id; nothing is changed, and the grant opens again once the key is
    /// back).
    asio::awaitable<std::optional<stored_grant>> load(snowflake user) override;
    asio::awaitable<std::optional<std::uint64_t>> compare_and_swap(stored_grant grant) override;
    asio::awaitable<std::uint64_t> save(stored_grant grant) override;
    asio::awaitable<bool> erase(snowflake user) override;
    asio::awaitable<std::vector<snowflake>> list() override;
    asio::awaitable<std::size_t> count() override;
    asio::awaitable<std::vector<snowflake>> list_expiring_before(std::chrono::system_clock::time_point when) override;
    /// A session advisory lock on the grant, polled until free.
    asio::awaitable<std::unique_ptr<grant_lock>> lock_grant(snowflake user) override;

    asio::awaitable<bool> consume(std::string_view nonce, std::chrono::system_clock::time_point expires_at) override;
    asio::awaitable<void> record_outcome(std::string_view nonce, std::string_view outcome,
                                         std::string_view message) override;
    asio::awaitable<std::vector<std::pair<std::string, std::string>>> outcomes(
        const std::vector<std::string>& nonces) override;
    asio::awaitable<void> broadcast(std::string_view message) override;
    void subscribe(asio::any_io_executor executor, std::function<void(std::string)> on_message,
                   std::function<void()> on_gap) override;
    void unsubscribe() override;

    /// True while the subscriber's LISTEN connection is up (a health check: an instance that
    /// does not listen hears of other instances' callbacks only when it asks again).
    [[nodiscard]] bool listening() const noexcept;

    /// Connections found broken and replaced so far (statements, locks and the listener).
    [[nodiscard]] std::uint64_t broken_connections() const noexcept;

    /// 1: grants; 2: single-use states and their outcomes.
    static constexpr int schema_version = 2;

private:
    struct impl;
    explicit postgres_token_store(std::unique_ptr<impl> i);
    std::shared_ptr<impl> impl_;
};

} // namespace discord::oauth2
