#include "core/digest.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/evp.h>

#include <memory>

namespace discord::oauth2::digest {
namespace {

// Fetched once. OpenSSL 3's SHA256() and EVP_sha256() look the algorithm up in the provider
// store on every call, which cost more than hashing a verifier; a fetched EVP_MD is
// thread-safe to share. Freed at exit before OpenSSL's own cleanup (registered earlier).
const EVP_MD* sha256_md()
{
    static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> fetched(EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                                                          &EVP_MD_free);
    return fetched ? fetched.get() : EVP_sha256();
}

} // namespace

std::array<unsigned char, sha256_size> sha256(std::string_view data)
{
    std::array<unsigned char, sha256_size> out{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &size, sha256_md(), nullptr) != 1 || size != out.size())
        throw error(errc::transport, "SHA-256 failed in OpenSSL");
    return out;
}

} // namespace discord::oauth2::digest
