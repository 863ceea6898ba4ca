// The endpoints used with a user's Bearer token (docs/discord.md).
#include "emulator_impl.hpp"

#include <algorithm>
#include <charconv>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;


response json_of(const std::function<void(json::writer&)>& write)
{
    json::writer w;
    write(w);
    return json_response(200, w.take());
}

asio::awaitable<response> authorization_info(emulator::impl& e, request& req)
{
    auto* g = bearer_grant(e, req);
    if (!g)
        co_return unauthorized();
    const auto* app = e.find_application(g->application_id);
    const auto* u = e.find_user(g->user_id);
    co_return json_of([&](json::writer& w) {
        w.begin_object().key("application");
        write_application(w, *app);
        w.key("scopes").begin_array();
        for (const auto& s : g->scopes)
            w.value(s);
        w.end_array().field("expires", iso8601(g->expires_at));
        if (u && has_scope(g->scopes, "identify")) {
            w.key("user");
            write_user(w, *u, false);
        }
        w.end_object();
    });
}

asio::awaitable<response> current_user(emulator::impl& e, request& req)
{
    auto* g = bearer_grant(e, req);
    if (!g || !has_scope(g->scopes, "identify"))
        co_return unauthorized();
    const auto* u = e.find_user(g->user_id);
    if (!u)
        co_return unauthorized();
    co_return json_of([&](json::writer& w) { write_user(w, *u, has_scope(g->scopes, "email")); });
}

asio::awaitable<response> connections(emulator::impl& e, request& req)
{
    auto* g = bearer_grant(e, req);
    if (!g || !has_scope(g->scopes, "connections"))
        co_return unauthorized();
    co_return json_of([&](json::writer& w) {
        w.begin_array();
        if (auto it = e.world.connections.find(g->user_id); it != e.world.connections.end())
            for (const auto& c : it->second)
                write_connection(w, c);
        w.end_array();
    });
}

asio::awaitable<response> guilds(emulator::impl& e, request& req)
{
    auto* g = bearer_grant(e, req);
    if (!g || !has_scope(g->scopes, "guilds"))
        co_return unauthorized();
    std::optional<snowflake> before;
    std::optional<snowflake> after;
    if (auto b = req.query_param("before")) {
        before = parse_snowflake(*b);
        if (!before)
            co_return invalid_form_body("before", "NUMBER_TYPE_COERCE", "Value is not snowflake.");
    }
    if (auto a = req.query_param("after")) {
        after = parse_snowflake(*a);
        if (!after)
            co_return invalid_form_body("after", "NUMBER_TYPE_COERCE", "Value is not snowflake.");
    }
    int limit = 200;
    if (auto l = req.query_param("limit")) {
        auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
        if (ec != std::errc() || end != l->data() + l->size())
            co_return invalid_form_body("limit", "NUMBER_TYPE_COERCE", "Value is not int.");
        if (limit < 1 || limit > 200)
            co_return invalid_form_body("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 200.");
    }
    auto with_counts = req.query_param("with_counts").value_or("false") == "true";

    std::vector<const guild*> mine;
    for (const auto& gd : e.world.guilds)
        if (gd.members.contains(g->user_id))
            mine.push_back(&gd);
    std::sort(mine.begin(), mine.end(), [](const guild* a, const guild* b) { return a->id < b->id; });
    // `before` pages backwards: the `limit` guilds just below it, still in ascending order.
    std::vector<const guild*> page;
    for (const auto* gd : mine)
        if ((!after || gd->id > *after) && (!before || gd->id < *before))
            page.push_back(gd);
    if (before && !after && page.size() > static_cast<std::size_t>(limit))
        page.erase(page.begin(), page.end() - limit);
    else if (page.size() > static_cast<std::size_t>(limit))
        page.resize(static_cast<std::size_t>(limit));
    co_return json_of([&](json::writer& w) {
        w.begin_array();
        for (const auto* gd : page)
            write_partial_guild(w, *gd, g->user_id, with_counts);
        w.end_array();
    });
}

asio::awaitable<response> guild_member(emulator::impl& e, request& req)
{
    auto* g = bearer_grant(e, req);
    if (!g || !has_scope(g->scopes, "guilds.members.read"))
        co_return unauthorized();
    auto id = parse_snowflake(*req.path_param("guild"));
    auto* gd = id ? e.find_guild(*id) : nullptr;
    if (!gd || !gd->members.contains(g->user_id))
        co_return api_error(404, 10004, "Unknown Guild");
    const auto* u = e.find_user(g->user_id);
    co_return json_of([&](json::writer& w) { write_member(w, *u, gd->members.at(g->user_id)); });
}

} // namespace

void add_api_routes(emulator::impl& e, server::router& r)
{
    for (auto prefix : {"/api", "/api/v9", "/api/v10"}) {
        std::string base = prefix;
        e.api_route(r, "GET", base + "/oauth2/@me", "oauth2_me", [&e](request& req) { return authorization_info(e, req); });
        e.api_route(r, "GET", base + "/users/@me", "users_me", [&e](request& req) { return current_user(e, req); });
        e.api_route(r, "GET", base + "/users/@me/connections", "connections",
                    [&e](request& req) { return connections(e, req); });
        e.api_route(r, "GET", base + "/users/@me/guilds", "guilds", [&e](request& req) { return guilds(e, req); });
        e.api_route(r, "GET", base + "/users/@me/guilds/{guild}/member", "guild_member",
                    [&e](request& req) { return guild_member(e, req); });
    }
}

} // namespace discord::oauth2::emulator
