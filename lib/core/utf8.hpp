// UTF-8 helpers.
#pragma once

#include <cstddef>
#include <string_view>

namespace discord::oauth2::utf8 {

/// Characters (code points) in valid UTF-8 text, as Discord counts lengths.
[[nodiscard]] inline std::size_t characters(std::string_view s) noexcept
{
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80; // every byte but continuation bytes starts a character
    return n;
}

/// At most `max_bytes` of `s`, never cutting a character in half.
[[nodiscard]] inline std::string_view prefix(std::string_view s, std::size_t max_bytes) noexcept
{
    if (s.size() <= max_bytes)
        return s;
    auto end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80)
        --end;
    return s.substr(0, end);
}

} // namespace discord::oauth2::utf8
