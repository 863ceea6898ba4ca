// Where the web server keeps each user's grant. The interface is awaitable so that stores backed
// by a database never block the event loop; memory_token_store is the default.
#pragma once

#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/token.hpp>

#include <asio/awaitable.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace discord::oauth2 {

struct stored_grant {
    snowflake user_id;
    access_token token;
};

class token_store {
public:
    virtual ~token_store() = default;
    [[nodiscard]] virtual asio::awaitable<std::optional<stored_grant>> load(snowflake user) = 0;
    /// Replaces the user's grant.
    [[nodiscard]] virtual asio::awaitable<void> save(stored_grant grant) = 0;
    /// True when there was a grant to remove.
    [[nodiscard]] virtual asio::awaitable<bool> erase(snowflake user) = 0;
    /// Every user with a grant, in ascending id order.
    [[nodiscard]] virtual asio::awaitable<std::vector<snowflake>> list() = 0;
};

/// In this process's memory; safe to share between threads.
class memory_token_store final : public token_store {
public:
    asio::awaitable<std::optional<stored_grant>> load(snowflake user) override;
    asio::awaitable<void> save(stored_grant grant) override;
    asio::awaitable<bool> erase(snowflake user) override;
    asio::awaitable<std::vector<snowflake>> list() override;

private:
    std::mutex mutex_;
    std::map<snowflake, access_token> grants_;
};

} // namespace discord::oauth2
