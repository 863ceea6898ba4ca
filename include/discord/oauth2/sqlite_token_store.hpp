// The durable token store of one process, on SQLite (see `sqlite_token_store` below).
#pragma once

#include <discord/oauth2/rekey.hpp>
#include <discord/oauth2/store_key.hpp>
#include <discord/oauth2/token_store.hpp>

#include <memory>
#include <string>

namespace discord::oauth2 {

/// The durable token store of one process: one SQLite file (WAL, synchronous commits, a
/// versioned schema), every token encrypted with AES-256-GCM under a store_key and bound to
/// its user, so that the file alone reveals no token and a row copied onto another user does
/// not open.
///
/// @code
/// auto store = oauth2::sqlite_token_store::open("grants.db", oauth2::store_key_ring::from_file("grants.key"));
/// config.store = store;
/// @endcode
///
/// SQLite's calls run on the store's own thread and never block the caller's event loop. That
/// thread posts each result to the caller's executor, so destroy the store before the
/// io_context its callers run on. May be used from any thread. Writes (save, compare_and_swap)
/// waiting at the same moment share one transaction and one synchronous commit (group commit);
/// each completes only after the commit that holds it, and all of a failed group fail.
class sqlite_token_store final : public token_store {
public:
    /// Opens (or creates) the database at `path` and migrates its schema. New grants are sealed
    /// under `keys.current()`; a grant opens under whichever key of the ring it names. Throws
    /// `error`: wrong_store_key when no key of the ring is the one the file was written with
    /// (the message names that key's id), invalid_argument when it cannot be opened or is not
    /// one of ours.
    [[nodiscard]] static std::shared_ptr<sqlite_token_store> open(const std::string& path, store_key_ring keys);
    /// Finishes the writes under way and closes the file.
    ~sqlite_token_store() override;

    /// Uses `keys` from now on (a rotation; `discord-oauth2 serve` calls it on SIGHUP), once
    /// the store's key check opens under one of them, and writes the check again under the new
    /// current key. Throws `error` wrong_store_key (the ring in use is kept) or store_failed.
    /// Loads and writes already under way finish with the ring they started with.
    asio::awaitable<void> set_keys(store_key_ring keys);
    /// Re-seals, under the current key, every grant sealed under another key of the ring (or
    /// before keys had ids), in batches of 256 on the store's thread, each checked against the
    /// row it read, so it may run beside a live bot, its refresher and other processes on the
    /// same file; versions are left alone (nobody's compare-and-swap fails because of it).
    /// Stopped at any point, a second run finishes the job. Grants it cannot open are left as
    /// they were and listed in the report. Throws `error` store_failed.
    asio::awaitable<rekey_report> rekey();

    /// Load throws grant_altered (a changed byte), grant_copied (a row from another user) or
    /// wrong_store_key (sealed under a key the ring lacks: the message names its id; nothing is
    /// changed, and the grant opens again once the key is back).
    asio::awaitable<std::optional<stored_grant>> load(snowflake user) override;
    asio::awaitable<std::optional<std::uint64_t>> compare_and_swap(stored_grant grant) override;
    asio::awaitable<std::uint64_t> save(stored_grant grant) override;
    asio::awaitable<bool> erase(snowflake user) override;
    asio::awaitable<std::vector<snowflake>> list() override;
    asio::awaitable<std::size_t> count() override;
    asio::awaitable<std::vector<snowflake>> list_expiring_before(std::chrono::system_clock::time_point when) override;

    /// The schema version this build writes.
    static constexpr int schema_version = 1;

private:
    struct impl;
    explicit sqlite_token_store(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

} // namespace discord::oauth2
