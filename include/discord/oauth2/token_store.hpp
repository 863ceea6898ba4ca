// Where grants live. The interface is awaitable so that stores backed by a database never block
// the event loop; every write carries a version, so that two writers (two refreshes, two
// processes) cannot overwrite each other's rotation without noticing.
//
// memory_token_store (memory_token_store.hpp) is the default; sqlite_token_store
// (sqlite_token_store.hpp) and postgres_token_store (postgres_token_store.hpp) are durable, sealed
// with a store_key (store_key.hpp).
#pragma once

#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/token.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// A user's grant as a token store keeps it: the tokens and what the refresher needs to know.
struct stored_grant {
    /// Whose grant it is.
    snowflake user_id;
    /// The tokens (sealed with the store key in the durable stores).
    access_token token;
    /// Bumped by every write; 0 for a grant that is not stored yet.
    std::uint64_t version = 0;
    /// A refresh was sent and its answer is not recorded yet. Found set after a restart, it
    /// means the refresh token may have been rotated away: see needs_reauthorization.
    bool refresh_in_flight = false;
    /// The grant is dead (invalid_grant) or its fate is unknown: only a new authorization helps.
    bool needs_reauthorization = false;
};

/// The right to refresh one grant, held by one process at a time; released when destroyed.
class grant_lock {
public:
    virtual ~grant_lock() = default;
};

/// Where grants live: awaitable, so that stores backed by a database never block the event
/// loop, and versioned, so that two writers (two refreshes, two processes) cannot overwrite
/// each other's rotation without noticing. Implementations may be called from any thread and
/// must outlive the operations started on them. Every operation throws `error` (store_failed,
/// and for the durable stores wrong_store_key, grant_altered, grant_copied) when it cannot do
/// its work; nothing is half written then.
class token_store {
public:
    /// Destroys the store; no operation may be in flight.
    virtual ~token_store() = default;
    /// The user's grant, or nullopt when none is stored.
    [[nodiscard]] virtual asio::awaitable<std::optional<stored_grant>> load(snowflake user) = 0;
    /// Writes `grant` if the stored version is still `grant.version` (0: nothing stored yet).
    /// Returns the new version, or nullopt when another writer came first. Under g++ 12, name the
    /// grant in a variable before the co_await: a braced or designated list written in the call
    /// is destroyed twice by that compiler (GCC bug 100611, docs/compilers.md), and this virtual
    /// function cannot refuse it at compile time as the client's operations do.
    [[nodiscard]] virtual asio::awaitable<std::optional<std::uint64_t>> compare_and_swap(stored_grant grant) = 0;
    /// Writes `grant` whatever is stored (a new authorization replaces the old grant); returns
    /// the new version. Under g++ 12, name the grant first, as for compare_and_swap.
    virtual asio::awaitable<std::uint64_t> save(stored_grant grant) = 0;
    /// True when there was a grant to remove.
    virtual asio::awaitable<bool> erase(snowflake user) = 0;
    /// Every user with a grant, in ascending id order.
    [[nodiscard]] virtual asio::awaitable<std::vector<snowflake>> list() = 0;
    /// How many grants are stored (what the `discord_oauth2_grants` gauge shows, and a query
    /// that tells whether the store answers). The default counts list(); the stores of this
    /// library count without listing.
    [[nodiscard]] virtual asio::awaitable<std::size_t> count();
    /// The users whose access token expires before `when`, soonest first.
    [[nodiscard]] virtual asio::awaitable<std::vector<snowflake>> list_expiring_before(
        std::chrono::system_clock::time_point when) = 0;
    /// Waits until no other process sharing this store is refreshing `user`'s grant, then holds
    /// that right until the lock is destroyed. A store that only one process uses needs no lock
    /// (the refresher's single flight is enough): the default returns nullptr at once.
    [[nodiscard]] virtual asio::awaitable<std::unique_ptr<grant_lock>> lock_grant(snowflake user);
};

} // namespace discord::oauth2
