// The value of one query parameter of a URL, for tests that pick a state or code out of a link.
#pragma once

#include "core/url_encoding.hpp"
#include "core/url_parts.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace test {

/// The decoded value of the first parameter `name` of `u`'s query, or "" when there is none.
inline std::string query_param(const std::string& u, std::string_view name)
{
    auto parts = discord::oauth2::url::split(u);
    REQUIRE(parts);
    auto params = discord::oauth2::url::parse_query(parts->query);
    REQUIRE(params);
    for (const auto& [k, v] : *params)
        if (k == name)
            return v;
    return {};
}

} // namespace test
