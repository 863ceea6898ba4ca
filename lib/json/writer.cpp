#include "json/writer.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace discord::oauth2::json {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept
{
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size())
        return 0;
    for (std::size_t k = 1; k < n; ++k) {
        auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF
        || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void append_quoted(std::string& out, std::string_view text)
{
    out.push_back('"');
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            auto n = utf8_sequence(text, i);
            if (n == 0) {
                out += "\xEF\xBF\xBD"; // U+FFFD
                ++i;
            } else {
                out.append(text.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20)
                fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
            else
                out.push_back(static_cast<char>(c));
        }
        ++i;
    }
    out.push_back('"');
}

} // namespace

std::string quote(std::string_view text)
{
    std::string out;
    append_quoted(out, text);
    return out;
}

void writer::before_value()
{
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back())
            out_.push_back(',');
        first_.back() = false;
    }
}

writer& writer::begin_object()
{
    before_value();
    out_.push_back('{');
    first_.push_back(true);
    return *this;
}

writer& writer::end_object()
{
    if (first_.empty() || after_key_)
        throw std::logic_error("json::writer: end_object without a matching begin_object, or after a key");
    first_.pop_back();
    out_.push_back('}');
    return *this;
}

writer& writer::begin_array()
{
    before_value();
    out_.push_back('[');
    first_.push_back(true);
    return *this;
}

writer& writer::end_array()
{
    if (first_.empty() || after_key_)
        throw std::logic_error("json::writer: end_array without a matching begin_array");
    first_.pop_back();
    out_.push_back(']');
    return *this;
}

writer& writer::key(std::string_view name)
{
    if (first_.empty() || after_key_)
        throw std::logic_error("json::writer: a key outside an object, or two keys in a row");
    before_value();
    append_quoted(out_, name);
    out_.push_back(':');
    after_key_ = true;
    return *this;
}

writer& writer::value(std::string_view text)
{
    before_value();
    append_quoted(out_, text);
    return *this;
}

writer& writer::value(bool b)
{
    before_value();
    out_ += b ? "true" : "false";
    return *this;
}

writer& writer::value(std::int64_t n)
{
    before_value();
    fmt::format_to(std::back_inserter(out_), "{}", n);
    return *this;
}

writer& writer::value(std::uint64_t n)
{
    before_value();
    fmt::format_to(std::back_inserter(out_), "{}", n);
    return *this;
}

writer& writer::value(double d)
{
    if (!std::isfinite(d))
        return null(); // JSON has no NaN or infinity
    before_value();
    fmt::format_to(std::back_inserter(out_), "{}", d);
    return *this;
}

writer& writer::null()
{
    before_value();
    out_ += "null";
    return *this;
}

writer& writer::value_or_null(const std::optional<std::string>& text)
{
    return text ? value(*text) : null();
}

writer& writer::raw(std::string_view json)
{
    before_value();
    out_.append(json);
    return *this;
}

} // namespace discord::oauth2::json
