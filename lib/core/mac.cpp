#include "core/mac.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <memory>

namespace discord::oauth2::mac {

std::string derive_key(std::string_view key, std::string_view label, std::size_t length)
{
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr),
                                                                     &EVP_PKEY_CTX_free);
    std::string out(length, '\0');
    std::size_t size = length;
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0
        || EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()),
                                      static_cast<int>(key.size())) <= 0
        || EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), reinterpret_cast<const unsigned char*>(label.data()),
                                       static_cast<int>(label.size())) <= 0
        || EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size) <= 0 || size != length)
        throw error(errc::invalid_argument, "HKDF failed in OpenSSL");
    return out;
}

std::string tag(std::string_view key, std::string_view data)
{
    std::string out(tag_size, '\0');
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
              data.size(), reinterpret_cast<unsigned char*>(out.data()), &size)
        || size != tag_size)
        throw error(errc::invalid_argument, "HMAC failed in OpenSSL");
    return out;
}

bool verify(std::string_view key, std::string_view data, std::string_view expected)
{
    if (expected.size() != tag_size)
        return false;
    auto actual = tag(key, data);
    return CRYPTO_memcmp(actual.data(), expected.data(), tag_size) == 0;
}

} // namespace discord::oauth2::mac
