// A grant obtained the way a bot obtains one (authorization URL, the emulator's consent, code
// exchange with PKCE) and saved straight into a store, for tests that start from stored grants.
#pragma once

#include "http/client.hpp"

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/token_store.hpp>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace test {

/// A new grant from `client`'s emulator: its authorization URL (scope identify) opened with
/// `browser`, the redirect's code exchanged with PKCE.
[[nodiscard]] asio::awaitable<discord::oauth2::access_token> obtain_token(discord::oauth2::client& client,
                                                                        discord::oauth2::http::client& browser);

/// A person's trip through the emulator's consent (auto-approved) to the web server: `link`
/// (made by a web_server) opened as `user`, the redirect followed to the callback. The
/// callback page's status (200 when the web server took the grant).
[[nodiscard]] asio::awaitable<int> consent_as(discord::oauth2::http::client& browser, std::string link,
                                              discord::oauth2::snowflake user);

/// Saves a new grant for `user` into `store` (replacing what was there, flags included). The
/// emulator at `api_base` signs in its first user; the store keys the grant by `user`. With
/// `expires_at`, the stored expiry is set to it (a token due for refresh without waiting).
void authorize(asio::io_context& io, const std::string& api_base, discord::oauth2::token_store& store,
               discord::oauth2::snowflake user,
               std::optional<std::chrono::system_clock::time_point> expires_at = std::nullopt);

} // namespace test
