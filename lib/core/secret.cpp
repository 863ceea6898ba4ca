#include <discord/oauth2/secret.hpp>

#include <openssl/crypto.h>

namespace discord::oauth2 {

bool operator==(const secret& a, const secret& b) noexcept
{
    // The sizes of secrets are not secret; their bytes are compared in constant time.
    return a.value_.size() == b.value_.size() && CRYPTO_memcmp(a.value_.data(), b.value_.data(), a.value_.size()) == 0;
}

} // namespace discord::oauth2
