// Ed25519 signature checks (OpenSSL): how Discord signs the requests it sends to an application,
// its webhook events among them, with the application's public key ("verify_key").
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace discord::oauth2::ed25519 {

inline constexpr std::size_t public_key_size = 32;
inline constexpr std::size_t signature_size = 64;

/// An Ed25519 public key, as Discord shows it: 64 hexadecimal digits.
using public_key = std::array<unsigned char, public_key_size>;

/// The key `text` spells (64 hexadecimal digits, either case); nullopt for anything else.
[[nodiscard]] std::optional<public_key> parse_public_key(std::string_view text);

/// Whether `signature_hex` (128 hexadecimal digits) is `key`'s Ed25519 signature of `message`.
/// False for a malformed signature, a key OpenSSL refuses, or any failure: never throws.
[[nodiscard]] bool verify(const public_key& key, std::string_view message, std::string_view signature_hex) noexcept;

} // namespace discord::oauth2::ed25519
