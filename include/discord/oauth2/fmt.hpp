// {fmt} support for the library's types: secrets format as "[redacted]".
#pragma once

#include <discord/oauth2/secret.hpp>
#include <discord/oauth2/snowflake.hpp>

#include <fmt/format.h>

/// @file
/// {fmt} support for the library's types: `fmt::format("{}", s)` writes "[redacted]" for a
/// discord::oauth2::secret (never its value) and the decimal id for a discord::oauth2::snowflake.

/// @cond
template <>
struct fmt::formatter<discord::oauth2::secret> : fmt::formatter<std::string_view> {
    auto format(const discord::oauth2::secret&, fmt::format_context& ctx) const
    {
        return fmt::formatter<std::string_view>::format("[redacted]", ctx);
    }
};

template <>
struct fmt::formatter<discord::oauth2::snowflake> : fmt::formatter<std::uint64_t> {
    auto format(const discord::oauth2::snowflake& id, fmt::format_context& ctx) const
    {
        return fmt::formatter<std::uint64_t>::format(id.value(), ctx);
    }
};
/// @endcond
