// Ed25519 (OpenSSL): how Discord signs the requests it sends to an application, its webhook events
// among them, checked with the application's public key ("verify_key"); and the signing side, for
// the emulator, which signs its deliveries as Discord does, and for the tests.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
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

/// An Ed25519 key pair that signs as Discord signs its requests.
class signing_key {
public:
    /// A new random key pair; throws `error` (transport) when OpenSSL cannot make one.
    signing_key();
    /// The pair whose private key is `seed_hex` (RFC 8032's 32-byte seed, 64 hexadecimal digits):
    /// the same seed always gives the same key. Throws `error` (invalid_argument) for other text.
    [[nodiscard]] static signing_key from_seed_hex(std::string_view seed_hex);
    ~signing_key();
    signing_key(signing_key&&) noexcept;
    signing_key& operator=(signing_key&&) noexcept;

    /// The public key: 64 lowercase hexadecimal digits, as Discord shows a verify_key.
    [[nodiscard]] std::string public_key_hex() const;
    /// The signature of `message`: 128 lowercase hexadecimal digits.
    [[nodiscard]] std::string sign_hex(std::string_view message) const;

private:
    struct pkey;
    explicit signing_key(std::unique_ptr<pkey> key);
    std::unique_ptr<pkey> key_;
};

} // namespace discord::oauth2::ed25519
