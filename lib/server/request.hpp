// An incoming HTTP/1.1 request as the strict parser hands it to a route.
#pragma once

#include "core/url_encoding.hpp"
#include "http/headers.hpp"

#include <asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace discord::oauth2::server {

struct request {
    std::string method;      ///< as sent, case-sensitive ("GET")
    std::string target;      ///< the raw request target, origin-form ("/a%20b?x=1")
    std::string path;        ///< the target's path, percent-decoded
    std::string raw_query;   ///< the target's query, undecoded, without '?'
    url::parameters query;   ///< the query, decoded ('+' is a space)
    http::headers fields;
    std::string body;
    int version_minor = 1;   ///< HTTP/1.<version_minor>
    bool keep_alive = true;
    /// The client's address: the TCP peer's or, when that is a trusted proxy, the address it
    /// forwarded for (the last X-Forwarded-For entry that is not a trusted proxy). Unspecified
    /// (0.0.0.0) when unknown.
    asio::ip::address peer;
    /// Values of `{name}` segments of the route that matched, in order.
    std::vector<std::pair<std::string, std::string>> path_params;

    /// The first query parameter called `name`.
    [[nodiscard]] std::optional<std::string_view> query_param(std::string_view name) const noexcept;
    /// The value of the route's `{name}` segment.
    [[nodiscard]] std::optional<std::string_view> path_param(std::string_view name) const noexcept;
};

} // namespace discord::oauth2::server
