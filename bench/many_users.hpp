// The emulator's world with many users, for the benchmarks that play a bot's traffic over time
// (soak_bench) or all at once (users_bench): user i is "user-i" with id first_user + i.
#pragma once

#include "emulator.hpp"

#include <cstdint>
#include <string>

namespace many_users {

inline constexpr std::uint64_t first_user = 900'000'000'000'000'000ULL;

inline std::uint64_t id_of(int i)
{
    return first_user + static_cast<std::uint64_t>(i);
}

/// Adds `count` users to `o`'s world and `redirect` to its applications' redirect URIs.
inline void populate(discord::oauth2::emulator::options& o, int count, const std::string& redirect)
{
    o.world.users.reserve(o.world.users.size() + static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        discord::oauth2::emulator::user u;
        u.id = id_of(i);
        u.username = "user-" + std::to_string(i);
        u.email = u.username + "@example.com";
        o.world.users.push_back(std::move(u));
    }
    for (auto& app : o.world.applications)
        app.redirect_uris.push_back(redirect);
}

} // namespace many_users
