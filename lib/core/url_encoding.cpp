#include "core/url_encoding.hpp"

#include "core/hex.hpp"

#include <array>
#include <cstring>

namespace discord::oauth2::url {
namespace {

constexpr bool is_unreserved(unsigned char c) noexcept
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
        || c == '_' || c == '~';
}

} // namespace

// Runs of plain bytes are copied whole: a callback's query and an authorization link are
// decoded on every flow, and a byte-at-a-time append was most of what that cost.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space)
{
    std::string out(text.size(), '\0');
    char* o = out.data();
    const char* p = text.data();
    const char* end = p + text.size();
    while (p != end) {
        const char* run = p;
        while (run != end && *run != '%' && *run != '\0' && !(*run == '+' && plus_is_space))
            ++run;
        std::memcpy(o, p, static_cast<std::size_t>(run - p));
        o += run - p;
        if (run == end)
            break;
        if (*run == '\0')
            return std::nullopt;
        if (*run == '+') {
            *o++ = ' ';
            p = run + 1;
            continue;
        }
        if (end - run < 3)
            return std::nullopt;
        int hi = hex::digit_value(run[1]);
        int lo = hex::digit_value(run[2]);
        if (hi < 0 || lo < 0 || (hi | lo) == 0) // %00 would end the text early for a C reader
            return std::nullopt;
        *o++ = static_cast<char>(hi * 16 + lo);
        p = run + 3;
    }
    out.resize(static_cast<std::size_t>(o - out.data()));
    return out;
}

namespace {

// One `name=value` segment of a query, still encoded; a name without '=' has an empty value.
struct raw_parameter {
    std::string_view name;
    std::string_view value;
};

// Takes the next non-empty segment off the front of `query`; nullopt once none is left.
std::optional<raw_parameter> next_parameter(std::string_view& query)
{
    while (!query.empty()) {
        auto amp = query.find('&');
        auto segment = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (segment.empty())
            continue;
        auto eq = segment.find('=');
        return raw_parameter{segment.substr(0, eq),
                             eq == std::string_view::npos ? std::string_view{} : segment.substr(eq + 1)};
    }
    return std::nullopt;
}

} // namespace

std::optional<parameters> parse_query(std::string_view query)
{
    parameters out;
    while (auto raw = next_parameter(query)) {
        auto name = percent_decode(raw->name, true);
        auto value = percent_decode(raw->value, true);
        if (!name || !value)
            return std::nullopt;
        out.emplace_back(std::move(*name), std::move(*value));
    }
    return out;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name)
{
    while (auto raw = next_parameter(query)) {
        bool named = raw->name.find_first_of("%+") == std::string_view::npos
            ? raw->name == name
            : percent_decode(raw->name, true) == name;
        if (named)
            return percent_decode(raw->value, true);
    }
    return std::nullopt;
}

namespace {

// RFC 3986's unreserved characters, as a table: the test is one load per byte.
constexpr auto unreserved_table = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[static_cast<std::size_t>(c)] = is_unreserved(static_cast<unsigned char>(c));
    return t;
}();

// Appends `text` percent-encoded, written into room made once for the worst case (three bytes for
// one) and cut to what was written: an append per run and per escape was a visible share of a
// token request. Room the caller reserved is reused, never reallocated, so a credential is
// not left behind in a freed block.
void append_encoded(std::string& out, std::string_view text)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    auto at = out.size();
    out.resize(at + 3 * text.size());
    char* o = out.data() + at;
    const char* p = text.data();
    const char* end = p + text.size();
    while (p != end) {
        const char* run = p;
        while (run != end && unreserved_table[static_cast<unsigned char>(*run)])
            ++run;
        std::memcpy(o, p, static_cast<std::size_t>(run - p));
        o += run - p;
        if (run == end)
            break;
        auto c = static_cast<unsigned char>(*run);
        o[0] = '%';
        o[1] = digits[c >> 4];
        o[2] = digits[c & 15];
        o += 3;
        p = run + 1;
    }
    out.resize(static_cast<std::size_t>(o - out.data()));
}

} // namespace

std::string percent_encode(std::string_view text)
{
    std::string out;
    out.reserve(3 * text.size());
    append_encoded(out, text);
    return out;
}

namespace {

template <class Pairs>
std::string encode_pairs(const Pairs& params)
{
    // Room for the worst case (every byte escaped, three for one): a body that grew once a code
    // was in it would free a copy unwiped. Forms are a few hundred bytes.
    std::size_t size = 0;
    for (const auto& [name, value] : params)
        size += 3 * (name.size() + value.size()) + 2;
    std::string out;
    out.reserve(size);
    for (const auto& [name, value] : params) {
        if (!out.empty())
            out.push_back('&');
        append_encoded(out, name);
        out.push_back('=');
        append_encoded(out, value);
    }
    return out;
}

} // namespace

std::string encode_query(const parameters& params)
{
    return encode_pairs(params);
}

std::string encode_query(std::span<const field_view> params)
{
    return encode_pairs(params);
}

} // namespace discord::oauth2::url
