// One PostgreSQL connection driven by an Asio executor, like curl: libpq in non-blocking mode,
// its socket watched with async_wait, never a blocking call on the event loop.
//
//   auto db = co_await pg::connection::connect(executor, "postgres://bot@127.0.0.1:5432/bot");
//   auto r = co_await db->query("SELECT version FROM grants WHERE user_id = $1", {"42"});
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2::pg {

/// Text-format rows; a null column is nullopt.
struct result {
    std::vector<std::string> columns;
    std::vector<std::vector<std::optional<std::string>>> rows;
    long affected = 0; ///< rows changed by INSERT, UPDATE, DELETE
};

using parameters = std::vector<std::optional<std::string>>;

/// One statement of a pipeline.
struct statement {
    std::string sql;
    parameters params;
};

/// What one statement of a pipeline came to: its rows, or the server's refusal.
struct outcome {
    std::optional<result> rows;
    std::string failure; ///< when rows is empty: SQLSTATE and message
};

/// A NOTIFY received on a channel this connection LISTENs to.
struct notification {
    std::string channel;
    std::string payload;
};

class connection {
public:
    /// Connects; throws `error`: invalid_argument for a malformed URL, store_failed (with the
    /// server's reason, never the password) when the server refuses or cannot be reached.
    [[nodiscard]] static asio::awaitable<std::unique_ptr<connection>> connect(asio::any_io_executor executor,
                                                                            std::string url);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// One statement with $1.. parameters (sent separately: never interpolated). Throws `error`
    /// (store_failed, with SQLSTATE and message) when it fails. `sql` and `params` are used before
    /// the first suspension only; string views and references keep temporaries out of the
    /// caller's co_await expressions (g++ 12 destroys those twice).
    [[nodiscard]] asio::awaitable<result> query(std::string_view sql, const parameters& params);
    [[nodiscard]] asio::awaitable<result> query(std::string_view sql);

    /// How the statements of one pipeline commit.
    enum class commit {
        each,     ///< every statement its own transaction: a failure fails only its statement
        together, ///< all in one transaction with one commit (one WAL flush), answered after it;
                  ///< when any fails, none took effect, and every statement is then run again
                  ///< in a transaction of its own, so a failure still fails only its statement
    };

    /// Sends every statement of `batch` at once (libpq's pipeline mode: one round trip for all)
    /// and returns their outcomes in order. Throws `error` (store_failed) only when the
    /// connection breaks. Once used, the connection stays in pipeline mode: use pipeline(), not
    /// query(), on it. commit::together is only for statements whose effects are all
    /// transactional (not session advisory locks), since a failed group is run a second time.
    [[nodiscard]] asio::awaitable<std::vector<outcome>> pipeline(const std::vector<statement>& batch,
                                                                 commit mode = commit::each);

    /// Waits until the server sends something, and returns the notifications that came (possibly
    /// none). For a connection that only LISTENs: never call it while a query runs. Throws
    /// `error` (store_failed) when the connection breaks.
    [[nodiscard]] asio::awaitable<std::vector<notification>> wait_for_notifications();

    /// Ends a pending wait_for_notifications (it throws asio's operation_aborted).
    void cancel() noexcept;

    /// False once the connection broke (the server restarted, the network went away).
    [[nodiscard]] bool healthy() const noexcept;

    struct impl;
    explicit connection(std::unique_ptr<impl> i);

private:
    std::unique_ptr<impl> impl_;
};

} // namespace discord::oauth2::pg
