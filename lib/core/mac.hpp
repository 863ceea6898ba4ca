// HMAC-SHA256 and HKDF-SHA256 (RFC 5869): keys derived for one purpose each from a shared secret,
// and tags that say a message came from a holder of that key.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace discord::oauth2::mac {

inline constexpr std::size_t tag_size = 32;

/// `length` bytes derived from `key` for the purpose named by `label` (HKDF's info; no salt).
/// Throws `error` if OpenSSL fails.
[[nodiscard]] std::string derive_key(std::string_view key, std::string_view label, std::size_t length = 32);

/// HMAC-SHA256 of `data` under `key`: 32 bytes. Throws `error` if OpenSSL fails.
[[nodiscard]] std::string tag(std::string_view key, std::string_view data);

/// Whether `expected` is the tag of `data` under `key`, compared in constant time.
[[nodiscard]] bool verify(std::string_view key, std::string_view data, std::string_view expected);

} // namespace discord::oauth2::mac
