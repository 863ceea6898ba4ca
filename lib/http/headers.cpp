#include "http/headers.hpp"

#include <algorithm>

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

void headers::set(std::string_view name, std::string value)
{
    std::erase_if(fields_, [&](const field& f) { return iequals(f.first, name); });
    fields_.emplace_back(std::string(name), std::move(value));
}

std::optional<std::string_view> headers::find(std::string_view name) const noexcept
{
    for (const auto& f : fields_)
        if (iequals(f.first, name))
            return std::string_view(f.second);
    return std::nullopt;
}

std::size_t headers::count(std::string_view name) const noexcept
{
    return static_cast<std::size_t>(
        std::count_if(fields_.begin(), fields_.end(), [&](const field& f) { return iequals(f.first, name); }));
}

} // namespace discord::oauth2::http
