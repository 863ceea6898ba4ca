#include <discord/oauth2/snowflake.hpp>

#include <charconv>

namespace discord::oauth2 {

std::optional<snowflake> snowflake::parse(std::string_view text) noexcept
{
    // Canonical decimal only: no sign, no leading zeros, no spaces (docs/discord.md, snowflakes).
    if (text.empty() || text.size() > 20 || (text.size() > 1 && text.front() == '0'))
        return std::nullopt;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return snowflake(v);
}

} // namespace discord::oauth2
