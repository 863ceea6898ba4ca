#include "server/request.hpp"

namespace discord::oauth2::server {
namespace {

std::optional<std::string_view> lookup(const std::vector<std::pair<std::string, std::string>>& pairs,
                                       std::string_view name) noexcept
{
    for (const auto& [key, value] : pairs)
        if (key == name)
            return std::string_view(value);
    return std::nullopt;
}

} // namespace

std::optional<std::string_view> request::query_param(std::string_view name) const noexcept
{
    return lookup(query, name);
}

std::optional<std::string_view> request::path_param(std::string_view name) const noexcept
{
    return lookup(path_params, name);
}

} // namespace discord::oauth2::server
