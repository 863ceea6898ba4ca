#include <discord/oauth2/secret.hpp>

#include "core/wipe.hpp"

#include <openssl/crypto.h>

namespace discord::oauth2 {

secret::secret(secret&& other) noexcept : value_(std::move(other.value_))
{
    other.wipe(); // a short string's bytes stay in the moved-from object's own buffer
}

secret& secret::operator=(const secret& other)
{
    if (this != &other) {
        wipe();
        value_ = other.value_;
    }
    return *this;
}

secret& secret::operator=(secret&& other) noexcept
{
    if (this != &other) {
        wipe();
        value_ = std::move(other.value_);
        other.wipe();
    }
    return *this;
}

secret::~secret()
{
    wipe();
}

void secret::wipe() noexcept
{
    // The whole buffer, not only the current value: a shorter value may have replaced a longer one.
    value_.resize(value_.capacity()); // within capacity: no allocation
    core::wipe(value_);
}

bool operator==(const secret& a, const secret& b) noexcept
{
    // The sizes of secrets are not secret; their bytes are compared in constant time.
    return a.value_.size() == b.value_.size() && CRYPTO_memcmp(a.value_.data(), b.value_.data(), a.value_.size()) == 0;
}

} // namespace discord::oauth2
