// Discord's side of a signed request: an Ed25519 key pair made for the test (OpenSSL), its
// public key as Discord shows it, and signatures as Discord sends them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace test {

class ed25519_signer {
public:
    /// A new random key pair.
    ed25519_signer();
    ~ed25519_signer();
    ed25519_signer(const ed25519_signer&) = delete;
    ed25519_signer& operator=(const ed25519_signer&) = delete;

    /// The public key: 64 lowercase hexadecimal digits.
    [[nodiscard]] std::string public_key_hex() const;
    /// The signature of `message`: 128 lowercase hexadecimal digits.
    [[nodiscard]] std::string sign_hex(std::string_view message) const;

private:
    struct key;
    std::unique_ptr<key> key_;
};

} // namespace test
