// JSON Web Signatures (RFC 7515) with OpenSSL, for OpenID Connect ID tokens: the public keys a
// JWKS names (RSA, P-256, Ed25519) and the three algorithms the library accepts, RS256, ES256 and
// EdDSA. `none` and the HMAC algorithms are not algorithms here at all: an ID token naming them
// can never verify, whatever key material an attacker puts beside it. The signing side is for
// the emulator and the tests.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace discord::oauth2::jws {

/// The signature algorithms an ID token may use.
enum class algorithm { rs256, es256, eddsa };

/// "RS256", "ES256" or "EdDSA" (exactly: JOSE names are case-sensitive); nullopt for anything
/// else, `none` and HS256 among them.
[[nodiscard]] std::optional<algorithm> parse_algorithm(std::string_view name) noexcept;
[[nodiscard]] std::string_view name(algorithm a) noexcept;

/// A public key from a JWK's members (their base64url-decoded bytes), bound to the one algorithm
/// its type serves: an RSA key verifies RS256 only, a P-256 key ES256, an Ed25519 key EdDSA.
class public_key {
public:
    /// RSA from the modulus and exponent (big-endian); throws `error` (invalid_response) for a
    /// modulus under 2048 bits or over 8192, or values OpenSSL refuses.
    [[nodiscard]] static public_key rsa(std::string_view n, std::string_view e);
    /// P-256 from the point's coordinates (32 bytes each); throws for a point not on the curve.
    [[nodiscard]] static public_key p256(std::string_view x, std::string_view y);
    /// Ed25519 from the 32-byte public key.
    [[nodiscard]] static public_key ed25519(std::string_view x);

    [[nodiscard]] algorithm alg() const noexcept { return alg_; }

    /// Whether `signature` (raw bytes as JWS carries them: PKCS#1 v1.5 for RS256, r||s of 64
    /// bytes for ES256, 64 bytes for EdDSA) signs `signing_input` with this key under `a`. False
    /// when `a` is not this key's algorithm, and on any failure: never throws.
    [[nodiscard]] bool verify(algorithm a, std::string_view signing_input, std::string_view signature) const noexcept;

private:
    friend class signing_key; // public_half shares its key
    struct pkey;
    public_key(std::shared_ptr<pkey> key, algorithm a) : key_(std::move(key)), alg_(a) {}
    std::shared_ptr<pkey> key_;
    algorithm alg_;
};

/// A key pair that signs JWS (the emulator's ID tokens, tests' forgeries).
class signing_key {
public:
    /// A new random key for `a` (RSA 2048 for RS256); throws `error` when OpenSSL cannot make one.
    explicit signing_key(algorithm a);
    [[nodiscard]] algorithm alg() const noexcept { return alg_; }
    /// The raw JWS signature of `signing_input`.
    [[nodiscard]] std::string sign(std::string_view signing_input) const;
    /// The public half as JWK members, base64url: {"kty":...,"n","e"} / {"crv","x","y"} / {"crv","x"}
    /// written into a JSON object's members (without braces), for a JWKS.
    [[nodiscard]] std::string public_jwk_members() const;
    /// The public half as a public_key.
    [[nodiscard]] public_key public_half() const;

private:
    struct pkey;
    std::shared_ptr<pkey> key_;
    algorithm alg_;
};

} // namespace discord::oauth2::jws
