#include "core/url_encoding.hpp"

#include "core/hex.hpp"

namespace discord::oauth2::url {
namespace {

bool is_unreserved(unsigned char c) noexcept
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
        || c == '_' || c == '~';
}

} // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size())
                return std::nullopt;
            int hi = hex::digit_value(text[i + 1]);
            int lo = hex::digit_value(text[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            char decoded = static_cast<char>(hi * 16 + lo);
            if (decoded == '\0')
                return std::nullopt;
            out.push_back(decoded);
            i += 2;
        } else if (c == '\0') {
            return std::nullopt;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<parameters> parse_query(std::string_view query)
{
    parameters out;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto segment = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (segment.empty())
            continue;
        auto eq = segment.find('=');
        auto name = percent_decode(segment.substr(0, eq), true);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : segment.substr(eq + 1), true);
        if (!name || !value)
            return std::nullopt;
        out.emplace_back(std::move(*name), std::move(*value));
    }
    return out;
}

std::string percent_encode(std::string_view text)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3);
    for (unsigned char c : text) {
        if (is_unreserved(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

std::string encode_query(const parameters& params)
{
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty())
            out.push_back('&');
        out += percent_encode(name);
        out.push_back('=');
        out += percent_encode(value);
    }
    return out;
}

} // namespace discord::oauth2::url
