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

/// Every grant of `store` as JSON, sealed under `keys.current()`: {"format": "discord-oauth2
/// grants", "version": 2, "key_id": the key's id (8 hexadecimal digits), "grants": [{"user_id",
/// "expires_at", "refresh_in_flight", "needs_reauthorization", "sealed"}]}.
[[nodiscard]] asio::awaitable<std::string> export_grants(token_store& store, store_key_ring keys);

/// Saves every grant of an export into `store` (replacing grants of the same users) and returns
/// how many. The export's key is the ring's key with its `key_id`; a version 1 export (before
/// key ids) opens under whichever key opens it. Throws `error`: invalid_argument for a document
/// that is not an export, wrong_store_key when the ring lacks the export's key (naming its id)
/// or no grant opens, grant_altered naming the user otherwise. Nothing is saved unless every
/// grant opens.
[[nodiscard]] asio::awaitable<std::size_t> import_grants(token_store& store, store_key_ring keys,
                                                         std::string_view document);

} // namespace discord::oauth2
