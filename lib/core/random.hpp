// Randomness from OpenSSL's CSPRNG, for states, PKCE verifiers and nonces.
#pragma once

#include <cstddef>
#include <string>

namespace discord::oauth2::random {

/// `bytes` random bytes.
[[nodiscard]] std::string bytes(std::size_t count);
/// `count` random bytes as base64url without padding (4/3 as many characters).
[[nodiscard]] std::string url_safe(std::size_t count);

} // namespace discord::oauth2::random
