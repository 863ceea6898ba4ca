#include "http/curl_global.hpp"

#include <curl/curl.h>

#include <new>

namespace discord::oauth2::http {

void ensure_curl_global()
{
    // Never cleaned up: other libraries in the process may use curl after we are gone.
    static const CURLcode status = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (status != CURLE_OK)
        throw std::bad_alloc();
}

} // namespace discord::oauth2::http
