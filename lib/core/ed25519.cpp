#include "core/ed25519.hpp"

#include "core/hex.hpp"
#include "core/wipe.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/evp.h>

#include <memory>

namespace discord::oauth2::ed25519 {

std::optional<public_key> parse_public_key(std::string_view text)
{
    public_key key;
    if (!hex::decode(text, key.data(), key.size()))
        return std::nullopt;
    return key;
}

bool verify(const public_key& key, std::string_view message, std::string_view signature_hex) noexcept
{
    std::array<unsigned char, signature_size> signature;
    if (!hex::decode(signature_hex, signature.data(), signature.size()))
        return false;
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()), &EVP_PKEY_free);
    if (!pkey)
        return false;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1)
        return false;
    // Ed25519 is one-shot: the whole message in one call.
    return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

struct signing_key::pkey {
    EVP_PKEY* key = nullptr;
    ~pkey() { EVP_PKEY_free(key); }
};

signing_key::signing_key() : key_(std::make_unique<pkey>())
{
    key_->key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key_->key)
        throw error(errc::transport, "OpenSSL could not make an Ed25519 key");
}

signing_key::signing_key(std::unique_ptr<pkey> key) : key_(std::move(key)) {}
signing_key::~signing_key() = default;
signing_key::signing_key(signing_key&&) noexcept = default;
signing_key& signing_key::operator=(signing_key&&) noexcept = default;

signing_key signing_key::from_seed_hex(std::string_view seed_hex)
{
    std::array<unsigned char, 32> seed;
    if (!hex::decode(seed_hex, seed.data(), seed.size()))
        throw error(errc::invalid_argument, "an Ed25519 private key must be 64 hexadecimal digits");
    auto key = std::make_unique<pkey>();
    key->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
    core::wipe(seed.data(), seed.size());
    if (!key->key)
        throw error(errc::transport, "OpenSSL refused the Ed25519 private key");
    return signing_key(std::move(key));
}

std::string signing_key::public_key_hex() const
{
    public_key raw;
    std::size_t size = raw.size();
    if (EVP_PKEY_get_raw_public_key(key_->key, raw.data(), &size) != 1 || size != raw.size())
        throw error(errc::transport, "OpenSSL could not read the Ed25519 public key");
    return hex::encode(raw.data(), raw.size());
}

std::string signing_key::sign_hex(std::string_view message) const
{
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::array<unsigned char, signature_size> signature;
    std::size_t size = signature.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->key) != 1
        || EVP_DigestSign(ctx.get(), signature.data(), &size, reinterpret_cast<const unsigned char*>(message.data()),
                          message.size())
               != 1)
        throw error(errc::transport, "OpenSSL could not make an Ed25519 signature");
    return hex::encode(signature.data(), size);
}

} // namespace discord::oauth2::ed25519
