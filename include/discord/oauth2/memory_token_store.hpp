// The default token store: grants in this process's memory, gone when it exits.
#pragma once

#include <discord/oauth2/token_store.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace discord::oauth2 {

/// In this process's memory; safe to share between threads.
class memory_token_store final : public token_store {
public:
    asio::awaitable<std::optional<stored_grant>> load(snowflake user) override;
    asio::awaitable<std::optional<std::uint64_t>> compare_and_swap(stored_grant grant) override;
    asio::awaitable<std::uint64_t> save(stored_grant grant) override;
    asio::awaitable<bool> erase(snowflake user) override;
    asio::awaitable<std::vector<snowflake>> list() override;
    asio::awaitable<std::size_t> count() override;
    asio::awaitable<std::vector<snowflake>> list_expiring_before(std::chrono::system_clock::time_point when) override;

private:
    // What load() returns, built outside its coroutine (the coroutine frame stays small).
    std::optional<stored_grant> load_now(snowflake user);

    // Tokens kept encoded (about 150 bytes) rather than as access_token objects (about 700 with
    // their optional webhook and guild): a fleet of grants costs a quarter of the memory.
    struct entry {
        std::string token;
        std::uint64_t version = 0;
        std::chrono::system_clock::time_point expires_at;
        bool refresh_in_flight = false;
        bool needs_reauthorization = false;
    };
    std::mutex mutex_;
    std::map<snowflake, entry> grants_;
};

} // namespace discord::oauth2
