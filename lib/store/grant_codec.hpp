// An access token as bytes, for sealing at rest: every field the token endpoint gave, with its
// absolute expiry. Only the bot flow's guild is shortened to its id and name.
#pragma once

#include <discord/oauth2/token.hpp>

#include <string>
#include <string_view>

namespace discord::oauth2::store {

[[nodiscard]] std::string encode_token(const access_token& token);
/// Throws `error` (invalid_response) for bytes encode_token did not write.
[[nodiscard]] access_token decode_token(std::string_view bytes);

} // namespace discord::oauth2::store
