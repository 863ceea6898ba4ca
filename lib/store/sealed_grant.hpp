// A grant's tokens as stored at rest by the durable stores: format (1 byte) | owner user id
// (8 bytes, clear) | key id (4 bytes, clear) | AES-256-GCM sealed encoding, with everything
// before it as associated data. The owner in clear tells a row copied from another user
// (grant_copied) from an altered one (grant_altered); the key id picks the ring's key, and names
// the missing one when the ring lacks it. Both are authenticated, so neither can be edited.
// Format 1 (before key ids) has no key id; it still opens, under whichever key of the ring opens
// it, and is written as format 2 when the grant is next saved.
#pragma once

#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/store_key.hpp>
#include <discord/oauth2/token.hpp>

#include <string>
#include <string_view>

namespace discord::oauth2::store {

/// Sealed under `key`, naming its id.
[[nodiscard]] std::string seal_grant(const store_key& key, snowflake user, const access_token& token);
/// Throws `error`: grant_copied, grant_altered, wrong_store_key (sealed under a key the ring
/// lacks; the message names its id and the ring's).
[[nodiscard]] access_token open_grant(const store_key_ring& keys, snowflake user, std::string_view sealed);
/// Whether `sealed` is in the current format under `key` (nothing for a rekey to do).
[[nodiscard]] bool sealed_under(const store_key& key, std::string_view sealed) noexcept;

} // namespace discord::oauth2::store
