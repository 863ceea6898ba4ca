// A grant obtained the way a bot obtains one (authorization URL, the emulator's consent, code
// exchange with PKCE) and saved straight into a store, for tests that start from stored grants.
#pragma once

#include <discord/oauth2/token_store.hpp>

#include <asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace test {

/// Saves a new grant for `user` into `store` (replacing what was there, flags included). The
/// emulator at `api_base` signs in its first user; the store keys the grant by `user`. With
/// `expires_at`, the stored expiry is set to it (a token due for refresh without waiting).
void authorize(asio::io_context& io, const std::string& api_base, discord::oauth2::token_store& store,
               discord::oauth2::snowflake user,
               std::optional<std::chrono::system_clock::time_point> expires_at = std::nullopt);

} // namespace test
