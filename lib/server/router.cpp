#include "server/router.hpp"

#include <algorithm>

namespace discord::oauth2::server {
namespace {

std::vector<std::string_view> split_path(std::string_view path)
{
    std::vector<std::string_view> out;
    // "/" is one empty segment, "/a/" is "a" and "": trailing slashes are significant.
    if (path.starts_with('/'))
        path.remove_prefix(1);
    for (;;) {
        auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos)
            break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

bool is_placeholder(std::string_view s) noexcept
{
    return s.size() > 2 && s.front() == '{' && s.back() == '}';
}

} // namespace

void router::add(std::string method, std::string_view pattern, handler h)
{
    route r{std::move(method), {}, std::move(h)};
    for (auto segment : split_path(pattern))
        r.segments.emplace_back(segment);
    routes_.push_back(std::move(r));
}

bool router::matches(const route& r, const std::vector<std::string_view>& segments,
                     std::vector<std::pair<std::string, std::string>>* params)
{
    if (r.segments.size() != segments.size())
        return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto& want = r.segments[i];
        if (is_placeholder(want)) {
            if (segments[i].empty())
                return false;
            if (params)
                params->emplace_back(want.substr(1, want.size() - 2), std::string(segments[i]));
        } else if (want != segments[i]) {
            return false;
        }
    }
    return true;
}

router::match router::find(request& req) const
{
    auto segments = split_path(req.path);
    std::string_view method = req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
    std::vector<std::string> allowed;
    for (const auto& r : routes_) {
        if (!matches(r, segments, nullptr))
            continue;
        if (r.method == method) {
            req.path_params.clear();
            matches(r, segments, &req.path_params);
            return {&r.h, 200, {}};
        }
        allowed.push_back(r.method);
        if (r.method == "GET")
            allowed.emplace_back("HEAD");
    }
    if (allowed.empty())
        return {nullptr, 404, {}};
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    std::string allow;
    for (const auto& m : allowed) {
        if (!allow.empty())
            allow += ", ";
        allow += m;
    }
    return {nullptr, 405, std::move(allow)};
}

} // namespace discord::oauth2::server
