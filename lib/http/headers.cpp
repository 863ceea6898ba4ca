#include "http/headers.hpp"

#include "core/wipe.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace discord::oauth2::http {

namespace {

// Eight ASCII bytes with their capitals made small (a SWAR step: bytes past 0x7f are left alone).
std::uint64_t lower_eight(std::uint64_t x) noexcept
{
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    auto seven = x & (ones * 0x7f);
    auto at_least_a = seven + ones * (0x80 - 'A'); // high bit set: >= 'A'
    auto past_z = seven + ones * (0x80 - 'Z' - 1);  // high bit set: > 'Z'
    auto capital = at_least_a & ~past_z & ~x & (ones * 0x80);
    return x | (capital >> 2); // 0x80 >> 2 is 0x20, the bit between a capital and its small letter
}

} // namespace

bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    // Header names are compared in eight-byte words: a byte at a time was a visible share of a
    // request's cost (every response field is looked at for the rate-limit ones).
    std::size_t i = 0;
    for (; i + 8 <= a.size(); i += 8) {
        std::uint64_t x;
        std::uint64_t y;
        std::memcpy(&x, a.data() + i, 8);
        std::memcpy(&y, b.data() + i, 8);
        if (x != y && lower_eight(x) != lower_eight(y))
            return false;
    }
    auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
    for (; i < a.size(); ++i)
        if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

void headers::add(std::string_view name, std::string_view value)
{
    auto inside = [&](std::string_view s) {
        return !s.empty() && s.data() >= bytes_.data() && s.data() < bytes_.data() + bytes_.size();
    };
    if (inside(name) || inside(value)) { // appending could move what they point at
        std::string n(name);
        std::string v(value);
        add(n, v);
        return;
    }
    // Sizes are 32-bit; every parser in front of this caps headers far below that.
    if (name.size() > UINT32_MAX - value.size() || bytes_.size() + prefix + name.size() + value.size() > UINT32_MAX)
        throw std::length_error("HTTP header block too large");
    const std::uint32_t sizes[2] = {static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(value.size())};
    auto needed = bytes_.size() + prefix + name.size() + value.size();
    if (needed > bytes_.capacity()) {
        // Grown by hand: the block given back may hold a credential (an Authorization field
        // added first), so it is wiped before it is freed.
        std::string bigger;
        bigger.reserve(std::max(needed, bytes_.capacity() * 2));
        bigger.append(bytes_);
        core::wipe(bytes_);
        bytes_.swap(bigger);
    }
    // One resize and three copies into the room made (three appends checked the size three times).
    auto at = bytes_.size();
    bytes_.resize(needed);
    char* out = bytes_.data() + at;
    std::memcpy(out, sizes, prefix);
    if (!name.empty())
        std::memcpy(out + prefix, name.data(), name.size());
    if (!value.empty())
        std::memcpy(out + prefix + name.size(), value.data(), value.size());
    ++count_;
}

void headers::set(std::string_view name, std::string_view value)
{
    // `name` and `value` may point into bytes_, which is compacted below; the value may be a
    // credential, so its copy is wiped.
    std::string name_copy(name);
    struct wiped_copy {
        std::string text;
        ~wiped_copy() { core::wipe(text); }
    } copy{std::string(value)};
    std::size_t kept = 0;
    std::size_t fields = 0;
    for (std::size_t offset = 0; offset < bytes_.size();) {
        auto next = next_offset(offset);
        if (!iequals(field_at(offset).first, name_copy)) {
            if (kept != offset)
                std::memmove(bytes_.data() + kept, bytes_.data() + offset, next - offset);
            kept += next - offset;
            ++fields;
        }
        offset = next;
    }
    core::wipe(bytes_.data() + kept, bytes_.size() - kept); // the removed fields may have been a credential
    bytes_.resize(kept);
    count_ = fields;
    add(name_copy, copy.text);
}

void headers::wipe() noexcept
{
    core::wipe(bytes_);
    count_ = 0;
}

void headers::reserve(std::size_t fields, std::size_t bytes)
{
    bytes_.reserve(fields * prefix + bytes);
}

std::optional<std::string_view> headers::find(std::string_view name) const noexcept
{
    for (std::size_t offset = 0; offset < bytes_.size(); offset = next_offset(offset)) {
        auto [n, v] = field_at(offset);
        if (iequals(n, name))
            return v;
    }
    return std::nullopt;
}

std::size_t headers::count(std::string_view name) const noexcept
{
    std::size_t n = 0;
    for (std::size_t offset = 0; offset < bytes_.size(); offset = next_offset(offset))
        n += iequals(field_at(offset).first, name) ? 1 : 0;
    return n;
}

} // namespace discord::oauth2::http
