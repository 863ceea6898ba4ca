#include "core/wipe.hpp"

#include <openssl/crypto.h>

namespace discord::oauth2::core {

void wipe(void* data, std::size_t size) noexcept
{
    if (data && size)
        OPENSSL_cleanse(data, size);
}

void wipe(std::string& text) noexcept
{
    wipe(text.data(), text.size());
    text.clear();
}

} // namespace discord::oauth2::core
