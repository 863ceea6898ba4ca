#include "http/headers.hpp"

#include "core/wipe.hpp"

#include <algorithm>
#include <stdexcept>

namespace discord::oauth2::http {

bool iequals(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
        if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i])))
            return false;
    }
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
    // Offsets are 32-bit; every parser in front of this caps headers far below that.
    if (bytes_.size() + name.size() + value.size() > UINT32_MAX)
        throw std::length_error("HTTP header block too large");
    entry e{static_cast<std::uint32_t>(bytes_.size()), static_cast<std::uint32_t>(name.size()),
            static_cast<std::uint32_t>(bytes_.size() + name.size()), static_cast<std::uint32_t>(value.size())};
    bytes_.append(name);
    bytes_.append(value);
    entries_.push_back(e);
}

void headers::set(std::string_view name, std::string_view value)
{
    std::string copy(value); // `value` may point into bytes_, which add() may grow
    std::erase_if(entries_, [&](const entry& e) {
        return iequals(std::string_view(bytes_).substr(e.name_offset, e.name_size), name);
    });
    add(name, copy);
}

void headers::wipe() noexcept
{
    core::wipe(bytes_);
    entries_.clear();
}

void headers::reserve(std::size_t fields, std::size_t bytes)
{
    entries_.reserve(fields);
    bytes_.reserve(bytes);
}

std::optional<std::string_view> headers::find(std::string_view name) const noexcept
{
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        auto [n, v] = at(i);
        if (iequals(n, name))
            return v;
    }
    return std::nullopt;
}

std::size_t headers::count(std::string_view name) const noexcept
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i)
        n += iequals(at(i).first, name) ? 1 : 0;
    return n;
}

} // namespace discord::oauth2::http
