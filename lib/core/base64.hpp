// Base64 (RFC 4648 §4) and base64url without padding (§5), as HTTP Basic auth, PKCE and
// sealed states use them. Decoding is strict: bad characters or lengths give nullopt.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace discord::oauth2::base64 {

[[nodiscard]] std::string encode(std::string_view bytes);
[[nodiscard]] std::optional<std::string> decode(std::string_view text);

/// URL-safe alphabet, no padding.
[[nodiscard]] std::string encode_url(std::string_view bytes);
/// URL-safe alphabet; padding is not accepted.
[[nodiscard]] std::optional<std::string> decode_url(std::string_view text);

} // namespace discord::oauth2::base64
