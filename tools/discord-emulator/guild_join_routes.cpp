// PUT /guilds/{guild}/members/{user}: a bot adds a user who granted guilds.join (docs/discord.md).
#include "emulator_impl.hpp"
#include "json_body.hpp"

#include <simdjson.h>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;

asio::awaitable<response> add_member(emulator::impl& e, request& req)
{
    const auto* app = bot_application(e, req);
    if (!app)
        co_return unauthorized();
    auto guild_id = parse_snowflake(*req.path_param("guild"));
    auto user_id = parse_snowflake(*req.path_param("user"));
    auto* g = guild_id ? e.find_guild(*guild_id) : nullptr;
    if (!g)
        co_return api_error(404, 10004, "Unknown Guild");
    const auto* u = user_id ? e.find_user(*user_id) : nullptr;
    if (!u)
        co_return api_error(404, 10013, "Unknown User");
    if (!g->members.contains(app->bot_user_id))
        co_return api_error(403, 50001, "Missing Access");
    simdjson::dom::parser parser;
    auto parsed = json_object_body(req, parser);
    if (!parsed)
        co_return api_error(400, 50109, "The request body contains invalid JSON.");
    auto body = *parsed;
    std::string_view access_token;
    if (body["access_token"].get(access_token))
        co_return invalid_form_body("access_token", "BASE_TYPE_REQUIRED", "This field is required");
    const auto* grant = e.book.by_access_token(std::string(access_token), e.now());
    if (!grant || grant->application_id != app->id || grant->user_id != u->id)
        co_return api_error(403, 50025, "Invalid OAuth2 access token");
    if (!has_scope(grant->scopes, "guilds.join"))
        co_return api_error(403, 50026, "Missing required OAuth2 scope");

    if (g->members.contains(u->id))
        co_return response{.status = 204}; // already a member: nothing changes

    member m;
    m.joined_at = iso8601(e.now());
    std::string_view nick;
    if (!body["nick"].get(nick)) {
        if (nick.size() > 32)
            co_return invalid_form_body("nick", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.");
        m.nick = std::string(nick);
    }
    simdjson::dom::array roles;
    if (!body["roles"].get(roles))
        for (auto r : roles) {
            std::string_view id_text;
            auto id = r.get(id_text) ? std::nullopt : parse_snowflake(id_text);
            if (!id)
                co_return invalid_form_body("roles", "NUMBER_TYPE_COERCE", "Value is not snowflake.");
            m.roles.push_back(*id);
        }
    bool flag = false;
    if (!body["mute"].get(flag))
        m.mute = flag;
    if (!body["deaf"].get(flag))
        m.deaf = flag;
    auto& added = g->members.emplace(u->id, std::move(m)).first->second;
    json::writer w;
    write_member(w, *u, added);
    co_return json_response(201, w.take());
}

} // namespace

void add_guild_join_routes(emulator::impl& e, server::router& r)
{
    for (std::string base : {"/api", "/api/v9", "/api/v10"})
        e.api_route(r, "PUT", base + "/guilds/{guild}/members/{user}", "guild_join",
                    [&e](request& req) { return add_member(e, req); });
}

} // namespace discord::oauth2::emulator
