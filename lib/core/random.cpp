#include "core/random.hpp"

#include "core/base64.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/rand.h>

namespace discord::oauth2::random {

std::string bytes(std::size_t count)
{
    std::string out(count, '\0');
    if (count && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1)
        throw error(errc::transport, "the system's random generator failed");
    return out;
}

std::string url_safe(std::size_t count)
{
    return base64::encode_url(bytes(count));
}

} // namespace discord::oauth2::random
