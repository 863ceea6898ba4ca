// A grant's tokens as stored at rest by the durable stores: format (1 byte) | owner user id
// (8 bytes, clear) | AES-256-GCM sealed encoding, with format and owner as associated data. The
// owner in clear tells a row copied from another user (grant_copied) from an altered one
// (grant_altered); it is authenticated, so it cannot be edited to match.
#pragma once

#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/token.hpp>

#include <string>
#include <string_view>

namespace discord::oauth2::store {

[[nodiscard]] std::string seal_grant(std::string_view key, snowflake user, const access_token& token);
/// Throws `error`: grant_copied, grant_altered.
[[nodiscard]] access_token open_grant(std::string_view key, snowflake user, std::string_view sealed);

} // namespace discord::oauth2::store
