#include <discord/oauth2/memory_replay_guard.hpp>

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

namespace discord::oauth2 {

asio::awaitable<bool> memory_replay_guard::consume(std::string_view nonce,
                                                   std::chrono::system_clock::time_point expires_at)
{
    co_return consume_now(nonce, expires_at);
}

bool memory_replay_guard::consume_now(std::string_view nonce, std::chrono::system_clock::time_point expires_at)
{
    std::lock_guard lock(mutex_);
    auto now = std::chrono::system_clock::now();
    // Expired states fail before they reach the guard: their nonces need no remembering.
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        seen_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
    if (seen_.size() >= max_entries_ && !seen_.contains(nonce))
        throw error(errc::too_many_pending,
                    fmt::format("the replay guard remembers {} states, its maximum, until they expire; try again later",
                                max_entries_));
    auto [it, inserted] = seen_.emplace(std::string(nonce), expires_at);
    if (inserted)
        by_expiry_.emplace(expires_at, it);
    return inserted;
}

std::size_t memory_replay_guard::size() const
{
    std::lock_guard lock(mutex_);
    return seen_.size();
}

} // namespace discord::oauth2
