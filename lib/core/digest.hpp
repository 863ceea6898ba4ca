// SHA-256, as PKCE's S256 challenge uses it (RFC 7636 §4.2).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace discord::oauth2::digest {

inline constexpr std::size_t sha256_size = 32;

/// The SHA-256 of `data`. Throws `error` if OpenSSL fails. Any thread.
[[nodiscard]] std::array<unsigned char, sha256_size> sha256(std::string_view data);

} // namespace discord::oauth2::digest
