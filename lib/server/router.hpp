// Routing by method and path. A pattern is a path whose segments are literals or `{name}`
// placeholders ("/api/v10/guilds/{guild}/members/{user}"); placeholders match one non-empty
// segment, whose value lands in `request::path_params`.
#pragma once

#include "server/request.hpp"
#include "server/response.hpp"

#include <asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace discord::oauth2::server {

using handler = std::function<asio::awaitable<response>(request&)>;

class router {
public:
    /// Adds a route. The same pattern may be added for several methods; GET also answers HEAD.
    void add(std::string method, std::string_view pattern, handler h);

    struct match {
        const handler* target = nullptr; ///< set when a route matched
        int status = 200;                ///< 404 or 405 when none did
        std::string allow;               ///< the methods the path accepts, for 405's Allow
    };

    /// Finds the route for `req` and fills its `path_params`.
    [[nodiscard]] match find(request& req) const;

    /// The answer when `m` found no route: `answer(status, detail)` for its 404 or 405, the
    /// latter with the Allow field. `answer` makes the server's own answers in its format.
    template <class Answer>
    [[nodiscard]] static response no_route(const match& m, Answer&& answer)
    {
        response r = answer(m.status, std::string_view());
        if (m.status == 405)
            r.fields.add("Allow", m.allow);
        return r;
    }

private:
    struct route {
        std::string method;
        std::vector<std::string> segments; // "{...}" marks a placeholder
        handler h;
    };
    static bool matches(const route& r, const std::vector<std::string_view>& segments,
                        std::vector<std::pair<std::string, std::string>>* params);

    std::vector<route> routes_;
};

} // namespace discord::oauth2::server
