// Turns a failed curl transfer into the library's error, with a message that says what
// happened and what to do. Only the URL's scheme, host and port are named: paths, queries and
// user info may hold secrets.
#pragma once

#include <discord/oauth2/error.hpp>

#include <curl/curl.h>

#include <string>
#include <string_view>

namespace discord::oauth2::http {

struct curl_failure {
    CURL* easy;
    CURLcode code;
    bool too_large;        ///< our write or header callback refused more bytes
    const char* errbuf;    ///< CURLOPT_ERRORBUFFER
    std::string_view url;
    std::size_t limit;     ///< the response size limit
    bool via_proxy;
};

[[nodiscard]] error describe_curl_failure(const curl_failure& f);

/// "https://host:port" of `url`, without user info, path or query.
[[nodiscard]] std::string origin_of(std::string_view url);

} // namespace discord::oauth2::http
