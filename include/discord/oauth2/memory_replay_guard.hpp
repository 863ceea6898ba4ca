// The replay guard of a single process: each state's nonce remembered until the state expires.
#pragma once

#include <discord/oauth2/replay_guard.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace discord::oauth2 {

/// In one process, completing at once. (Several instances need a shared guard: the PostgreSQL
/// cluster, docs/deployment.md.) Nonces of expired states are forgotten as new ones arrive, in
/// O(log n) each. At most `max_entries` are remembered: past that, consume() throws
/// too_many_pending (the state stays unspent: the callback may be sent again) rather than forget
/// a state that could then be replayed. Thread-safe.
class memory_replay_guard final : public replay_guard {
public:
    /// 200,000 by default: twice a web server's default max_pending (its links and as many
    /// callbacks of other origins), about 30 MiB when full.
    explicit memory_replay_guard(std::size_t max_entries = 200'000) : max_entries_(max_entries) {}

    [[nodiscard]] asio::awaitable<bool> consume(std::string_view nonce,
                                                std::chrono::system_clock::time_point expires_at) override;
    /// The same, synchronously (throws too_many_pending when full).
    [[nodiscard]] bool consume_now(std::string_view nonce, std::chrono::system_clock::time_point expires_at);
    /// Nonces remembered.
    [[nodiscard]] std::size_t size() const;

private:
    using seen_map = std::map<std::string, std::chrono::system_clock::time_point, std::less<>>;
    std::size_t max_entries_;
    mutable std::mutex mutex_;
    seen_map seen_;
    // The same entries by expiry, so that forgetting the expired ones costs only what they are.
    std::multimap<std::chrono::system_clock::time_point, seen_map::iterator> by_expiry_;
};

} // namespace discord::oauth2
