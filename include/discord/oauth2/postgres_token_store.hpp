// The token store on PostgreSQL, for several instances of a bot sharing one database: the same
// interface, versions and encryption at rest as sqlite_token_store. Every operation is one
// statement (compare-and-swap is an UPDATE ... WHERE version = $n), driven asynchronously on the
// caller's executor; the schema is created and migrated on open.
//
//   auto store = co_await oauth2::postgres_token_store::open(executor, "postgres://bot@db/bot", key);
#pragma once

#include <discord/oauth2/token_store.hpp>

#include <asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace discord::oauth2 {

class postgres_token_store final : public token_store {
public:
    /// Connects, creates or migrates the schema, and checks the key. Throws `error`:
    /// invalid_argument (malformed URL), store_failed (unreachable, refused, with the server's
    /// reason and never the password), wrong_store_key.
    [[nodiscard]] static asio::awaitable<std::shared_ptr<postgres_token_store>> open(asio::any_io_executor executor,
                                                                                   std::string url, store_key key);
    ~postgres_token_store() override;

    asio::awaitable<std::optional<stored_grant>> load(snowflake user) override;
    asio::awaitable<std::optional<std::uint64_t>> compare_and_swap(stored_grant grant) override;
    asio::awaitable<std::uint64_t> save(stored_grant grant) override;
    asio::awaitable<bool> erase(snowflake user) override;
    asio::awaitable<std::vector<snowflake>> list() override;
    asio::awaitable<std::vector<snowflake>> list_expiring_before(std::chrono::system_clock::time_point when) override;

    static constexpr int schema_version = 1;

    struct impl;
    explicit postgres_token_store(std::unique_ptr<impl> i);

private:
    std::unique_ptr<impl> impl_;
};

} // namespace discord::oauth2
