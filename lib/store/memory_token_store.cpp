#include <discord/oauth2/memory_token_store.hpp>

#include "store/grant_codec.hpp"

#include <algorithm>

namespace discord::oauth2 {

std::optional<stored_grant> memory_token_store::load_now(snowflake user)
{
    std::lock_guard lock(mutex_);
    auto it = grants_.find(user);
    if (it == grants_.end())
        return std::nullopt;
    stored_grant g;
    g.user_id = user;
    g.token = store::decode_token(it->second.token);
    g.version = it->second.version;
    g.refresh_in_flight = it->second.refresh_in_flight;
    g.needs_reauthorization = it->second.needs_reauthorization;
    return g;
}

asio::awaitable<std::optional<stored_grant>> memory_token_store::load(snowflake user)
{
    // The grant is built outside the coroutine: a local of it would take a second grant's room
    // in the frame beside the result's, past malloc's per-thread cache.
    co_return load_now(user);
}

asio::awaitable<std::optional<std::uint64_t>> memory_token_store::compare_and_swap(stored_grant grant)
{
    std::lock_guard lock(mutex_);
    auto it = grants_.find(grant.user_id);
    std::uint64_t current = it == grants_.end() ? 0 : it->second.version;
    if (current != grant.version)
        co_return std::nullopt;
    grants_[grant.user_id] = entry{store::encode_token(grant.token), current + 1, grant.token.expires_at,
                                   grant.refresh_in_flight, grant.needs_reauthorization};
    co_return current + 1;
}

asio::awaitable<std::uint64_t> memory_token_store::save(stored_grant grant)
{
    std::lock_guard lock(mutex_);
    auto it = grants_.find(grant.user_id);
    auto version = (it == grants_.end() ? 0 : it->second.version) + 1;
    grants_[grant.user_id] = entry{store::encode_token(grant.token), version, grant.token.expires_at,
                                   grant.refresh_in_flight, grant.needs_reauthorization};
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
    for (const auto& [user, e] : grants_)
        users.push_back(user);
    co_return users;
}

asio::awaitable<std::vector<snowflake>> memory_token_store::list_expiring_before(std::chrono::system_clock::time_point when)
{
    std::vector<std::pair<std::chrono::system_clock::time_point, snowflake>> soon;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [user, e] : grants_)
            if (e.expires_at < when)
                soon.emplace_back(e.expires_at, user);
    }
    std::sort(soon.begin(), soon.end());
    std::vector<snowflake> users;
    users.reserve(soon.size());
    for (const auto& [t, user] : soon)
        users.push_back(user);
    co_return users;
}

} // namespace discord::oauth2

namespace discord::oauth2 {

asio::awaitable<std::size_t> token_store::count()
{
    auto users = co_await list();
    co_return users.size();
}

asio::awaitable<std::size_t> memory_token_store::count()
{
    std::lock_guard lock(mutex_);
    co_return grants_.size();
}

asio::awaitable<std::unique_ptr<grant_lock>> token_store::lock_grant(snowflake)
{
    co_return nullptr;
}

} // namespace discord::oauth2
