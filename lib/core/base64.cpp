#include "core/base64.hpp"

#include "core/wipe.hpp"

#include <array>
#include <cstdint>

namespace discord::oauth2::base64 {
namespace {

constexpr char standard_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Both encode and decode write into room made once, never a byte at a time: a sealed state is
// decoded on every callback and every wait, and an append per byte was most of what opening one
// cost.
std::string encode_with(std::string_view bytes, const char* alphabet, bool pad)
{
    std::size_t whole = bytes.size() / 3;
    std::size_t rest = bytes.size() - whole * 3;
    std::string out(whole * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1), '\0');
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    char* o = out.data();
    for (std::size_t i = 0; i < whole; ++i, in += 3, o += 4) {
        std::uint32_t v = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8) | in[2];
        o[0] = alphabet[v >> 18];
        o[1] = alphabet[(v >> 12) & 63];
        o[2] = alphabet[(v >> 6) & 63];
        o[3] = alphabet[v & 63];
    }
    if (rest) {
        std::uint32_t v = std::uint32_t{in[0]} << 16;
        if (rest == 2)
            v |= std::uint32_t{in[1]} << 8;
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[(v >> 12) & 63];
        if (rest == 2)
            *o++ = alphabet[(v >> 6) & 63];
        if (pad)
            for (std::size_t k = rest; k < 3; ++k)
                *o++ = '=';
    }
    return out;
}

// Each alphabet's values by character, -1 for a character outside it: made once, at compile time.
using decode_table = std::array<std::int8_t, 256>;

constexpr decode_table table_of(const char* alphabet)
{
    decode_table t{};
    for (auto& v : t)
        v = -1;
    for (int k = 0; k < 64; ++k)
        t[static_cast<unsigned char>(alphabet[k])] = static_cast<std::int8_t>(k);
    return t;
}

constexpr decode_table standard_values = table_of(standard_alphabet);
constexpr decode_table url_values = table_of(url_alphabet);

std::optional<std::string> decode_with(std::string_view text, const decode_table& value, bool padded)
{
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

    std::size_t whole = text.size() / 4;
    std::size_t rest = text.size() - whole * 4; // 0, 2 or 3 characters: 0, 1 or 2 bytes
    std::string out(whole * 3 + (rest ? rest - 1 : 0), '\0');
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    auto refuse = [&out]() -> std::optional<std::string> {
        core::wipe(out.data(), out.size()); // what was decoded so far may be a secret's start
        return std::nullopt;
    };
    for (std::size_t i = 0; i < whole; ++i, in += 4, o += 3) {
        int a = value[in[0]], b = value[in[1]], c = value[in[2]], d = value[in[3]];
        if ((a | b | c | d) < 0)
            return refuse();
        auto v = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
        o[0] = static_cast<unsigned char>(v >> 16);
        o[1] = static_cast<unsigned char>(v >> 8);
        o[2] = static_cast<unsigned char>(v);
    }
    if (rest) {
        int a = value[in[0]], b = value[in[1]], c = rest == 3 ? value[in[2]] : 0;
        if ((a | b | c) < 0)
            return refuse();
        auto v = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6);
        // Leftover bits must be zero, or two encodings would decode to the same bytes.
        if ((rest == 2 && (v & 0xFFFF) != 0) || (rest == 3 && (v & 0xFF) != 0))
            return refuse();
        o[0] = static_cast<unsigned char>(v >> 16);
        if (rest == 3)
            o[1] = static_cast<unsigned char>(v >> 8);
    }
    return out;
}

} // namespace

std::string encode(std::string_view bytes)
{
    return encode_with(bytes, standard_alphabet, true);
}

std::optional<std::string> decode(std::string_view text)
{
    return decode_with(text, standard_values, true);
}

std::string encode_url(std::string_view bytes)
{
    return encode_with(bytes, url_alphabet, false);
}

std::optional<std::string> decode_url(std::string_view text)
{
    return decode_with(text, url_values, false);
}

} // namespace discord::oauth2::base64
