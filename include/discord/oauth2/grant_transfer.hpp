// Moving grants between stores or machines: a JSON document in which every token is sealed
// (AES-256-GCM under the store key, bound to its user), so that an export is as safe to carry
// as the database it came from.
#pragma once

#include <discord/oauth2/store_key.hpp>
#include <discord/oauth2/token_store.hpp>

#include <discord/oauth2/detail/asio_config.hpp>

#include <asio/awaitable.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace discord::oauth2 {

/// Every grant of `store` as JSON: {"format": "discord-oauth2 grants", "version": 1, "grants":
/// [{"user_id", "expires_at", "refresh_in_flight", "needs_reauthorization", "sealed"}]}.
[[nodiscard]] asio::awaitable<std::string> export_grants(token_store& store, const store_key& key);

/// Saves every grant of an export into `store` (replacing grants of the same users) and returns
/// how many. Throws `error`: invalid_argument for a document that is not an export,
/// grant_altered (or wrong_store_key when no grant opens) naming the user otherwise. Nothing is
/// saved unless every grant opens.
[[nodiscard]] asio::awaitable<std::size_t> import_grants(token_store& store, const store_key& key,
                                                         std::string_view document);

} // namespace discord::oauth2
