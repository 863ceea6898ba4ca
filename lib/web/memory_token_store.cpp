#include <discord/oauth2/token_store.hpp>

#include <algorithm>

namespace discord::oauth2 {

asio::awaitable<std::optional<stored_grant>> memory_token_store::load(snowflake user)
{
    std::lock_guard lock(mutex_);
    auto it = grants_.find(user);
    if (it == grants_.end())
        co_return std::nullopt;
    co_return it->second;
}

asio::awaitable<std::optional<std::uint64_t>> memory_token_store::compare_and_swap(stored_grant grant)
{
    std::lock_guard lock(mutex_);
    auto it = grants_.find(grant.user_id);
    std::uint64_t current = it == grants_.end() ? 0 : it->second.version;
    if (current != grant.version)
        co_return std::nullopt;
    grant.version = current + 1;
    auto version = grant.version;
    grants_[grant.user_id] = std::move(grant);
    co_return version;
}

asio::awaitable<std::uint64_t> memory_token_store::save(stored_grant grant)
{
    std::lock_guard lock(mutex_);
    auto it = grants_.find(grant.user_id);
    grant.version = (it == grants_.end() ? 0 : it->second.version) + 1;
    auto version = grant.version;
    grants_[grant.user_id] = std::move(grant);
    co_return version;
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
    for (const auto& [user, grant] : grants_)
        users.push_back(user);
    co_return users;
}

asio::awaitable<std::vector<snowflake>> memory_token_store::list_expiring_before(std::chrono::system_clock::time_point when)
{
    std::vector<std::pair<std::chrono::system_clock::time_point, snowflake>> soon;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [user, grant] : grants_)
            if (grant.token.expires_at < when)
                soon.emplace_back(grant.token.expires_at, user);
    }
    std::sort(soon.begin(), soon.end());
    std::vector<snowflake> users;
    users.reserve(soon.size());
    for (const auto& [t, user] : soon)
        users.push_back(user);
    co_return users;
}

} // namespace discord::oauth2
