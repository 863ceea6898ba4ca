// A small pool of PostgreSQL connections that survives the server restarting: a broken
// connection is dropped, a new one is made with backoff, and a statement that met a broken
// connection is sent once more on a new one. Statements given to the pool must therefore be
// idempotent (the stores write them so: a retried compare-and-swap recognises its own write).
//
// Statements queue; each connection's worker sends whatever has queued up as one pipeline
// (libpq's pipeline mode), so that many callers share a round trip instead of each waiting for a
// free connection; with group_commit they share one commit too.
#pragma once

#include "pg/connection.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace discord::oauth2::pg {

struct pool_options {
    std::size_t size = 4;
    /// First wait before reconnecting, doubled up to max_backoff.
    std::chrono::milliseconds backoff{50};
    std::chrono::milliseconds max_backoff{2000};
    /// A statement waits this long for the server to come back before it fails.
    std::chrono::milliseconds reconnect_timeout{10000};
    /// Run each pipeline in one transaction (connection::commit::together): one commit, so one
    /// WAL flush, for every statement that queued up together, each caller answered after it.
    /// A statement that fails still fails alone (the group is rolled back and run again
    /// statement by statement). Only for statements whose effects are all transactional.
    bool group_commit = false;
};

class pool {
public:
    /// `first` is an open connection (the caller connected once to report a wrong URL or
    /// credentials at once); the others are made when needed.
    pool(asio::any_io_executor executor, std::string url, pool_options options, std::unique_ptr<connection> first);
    ~pool();
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    /// Runs one statement. Throws `error` (store_failed) for an SQL error, or when the server
    /// stayed unreachable for reconnect_timeout. Not a coroutine: `sql` and `params` are copied
    /// before it returns.
    [[nodiscard]] asio::awaitable<result> run(std::string_view sql, const parameters& params);

    /// Connections found broken so far (each was replaced by a new one).
    [[nodiscard]] std::uint64_t broken_connections() const noexcept;
    /// Pipelines sent so far (each carries one or more statements).
    [[nodiscard]] std::uint64_t round_trips() const noexcept;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

/// Connects, retrying with backoff while the server is unreachable, up to `timeout`.
[[nodiscard]] asio::awaitable<std::unique_ptr<connection>> connect_with_backoff(asio::any_io_executor executor,
                                                                              const std::string& url,
                                                                              const pool_options& options,
                                                                              std::chrono::milliseconds timeout);

} // namespace discord::oauth2::pg
