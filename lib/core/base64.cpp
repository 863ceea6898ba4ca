#include "core/base64.hpp"

#include <array>
#include <cstdint>

namespace discord::oauth2::base64 {
namespace {

constexpr char standard_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode_with(std::string_view bytes, const char* alphabet, bool pad)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8)
            | static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[v >> 18];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    std::size_t rest = bytes.size() - i;
    if (rest) {
        std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2)
            v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += alphabet[v >> 18];
        out += alphabet[(v >> 12) & 63];
        if (rest == 2)
            out += alphabet[(v >> 6) & 63];
        if (pad)
            out.append(rest == 1 ? "==" : "=");
    }
    return out;
}

std::optional<std::string> decode_with(std::string_view text, const char* alphabet, bool padded)
{
    std::array<int, 256> value;
    value.fill(-1);
    for (int k = 0; k < 64; ++k)
        value[static_cast<unsigned char>(alphabet[k])] = k;

    if (padded) {
        if (text.size() % 4 != 0)
            return std::nullopt;
        if (text.ends_with("=="))
            text.remove_suffix(2);
        else if (text.ends_with("="))
            text.remove_suffix(1);
    }
    if (text.size() % 4 == 1)
        return std::nullopt;

    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : text) {
        int v = value[c];
        if (v < 0)
            return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    // Leftover bits must be zero, or two encodings would decode to the same bytes.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return std::nullopt;
    return out;
}

} // namespace

std::string encode(std::string_view bytes)
{
    return encode_with(bytes, standard_alphabet, true);
}

std::optional<std::string> decode(std::string_view text)
{
    return decode_with(text, standard_alphabet, true);
}

std::string encode_url(std::string_view bytes)
{
    return encode_with(bytes, url_alphabet, false);
}

std::optional<std::string> decode_url(std::string_view text)
{
    return decode_with(text, url_alphabet, false);
}

} // namespace discord::oauth2::base64
