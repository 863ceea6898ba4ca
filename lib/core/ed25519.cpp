#include "core/ed25519.hpp"

#include "core/hex.hpp"

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

} // namespace discord::oauth2::ed25519
