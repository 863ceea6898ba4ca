// Hexadecimal digits, for percent-encoding and key files.
#pragma once

namespace discord::oauth2::hex {

/// 0..15 for a hexadecimal digit of either case, -1 otherwise.
[[nodiscard]] constexpr int digit_value(char c) noexcept
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace discord::oauth2::hex
