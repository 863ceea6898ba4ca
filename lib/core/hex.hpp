// Hexadecimal digits, for percent-encoding and key files.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

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

/// Decodes `text`, exactly 2 * `size` hexadecimal digits of either case, into `out`; false
/// (with `out` partly written) for any other text.
[[nodiscard]] constexpr bool decode(std::string_view text, unsigned char* out, std::size_t size) noexcept
{
    if (text.size() != 2 * size)
        return false;
    for (std::size_t i = 0; i < size; ++i) {
        int high = digit_value(text[2 * i]);
        int low = digit_value(text[2 * i + 1]);
        if (high < 0 || low < 0)
            return false;
        out[i] = static_cast<unsigned char>(high * 16 + low);
    }
    return true;
}

/// `size` bytes at `data` as 2 * `size` lowercase hexadecimal digits.
[[nodiscard]] inline std::string encode(const unsigned char* data, std::size_t size)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(2 * size);
    for (std::size_t i = 0; i < size; ++i) {
        text.push_back(digits[data[i] >> 4]);
        text.push_back(digits[data[i] & 15]);
    }
    return text;
}

} // namespace discord::oauth2::hex
