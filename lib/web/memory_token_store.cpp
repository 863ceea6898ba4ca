#include <discord/oauth2/token_store.hpp>

namespace discord::oauth2 {

asio::awaitable<std::optional<stored_grant>> memory_token_store::load(snowflake user)
{
    std::lock_guard lock(mutex_);
    auto it = grants_.find(user);
    if (it == grants_.end())
        co_return std::nullopt;
    co_return stored_grant{user, it->second};
}

asio::awaitable<void> memory_token_store::save(stored_grant grant)
{
    std::lock_guard lock(mutex_);
    grants_[grant.user_id] = std::move(grant.token);
    co_return;
}

asio::awaitable<bool> memory_token_store::erase(snowflake user)
{
    std::lock_guard lock(mutex_);
    co_return grants_.erase(user) > 0;
}

asio::awaitable<std::vector<snowflake>> memory_token_store::list()
{
    std::lock_guard lock(mutex_);
    std::vector<snowflake> users;
    users.reserve(grants_.size());
    for (const auto& [user, token] : grants_)
        users.push_back(user);
    co_return users;
}

} // namespace discord::oauth2
