// AES-256-GCM, the one authenticated cipher of the library: sealed states and tokens at rest.
// A sealed value is a random 12-byte IV, the ciphertext and the 16-byte tag; `aad` is
// authenticated but not stored, so a value only opens where the same `aad` is given.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace discord::oauth2::aead {

inline constexpr std::size_t key_size = 32;
inline constexpr std::size_t overhead = 12 + 16;

/// Throws `error` if OpenSSL fails (or the key is not 32 bytes).
[[nodiscard]] std::string seal(std::string_view key, std::string_view plain, std::string_view aad);

/// The plaintext, or nullopt when the value was not sealed with this key and `aad` (or was
/// altered). The tag is compared in constant time.
[[nodiscard]] std::optional<std::string> open(std::string_view key, std::string_view sealed, std::string_view aad);

} // namespace discord::oauth2::aead
