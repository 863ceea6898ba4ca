// Private channels an application makes with its bot token (docs/emulator.md):
//   POST /users/@me/channels   {"access_tokens": [...], "nicks": {...}}: a group DM of the users
//                              whose tokens (gdm.join) are given; {"recipient_id"}: a DM
//   PUT /channels/{channel}/recipients/{user}   {"access_token", "nick"}: adds a user to a group
//                              DM the application made (201 with the channel, 204 when already in)
// At most 10 group DMs per application are active, as at Discord; they stay active until
// /_emulator/reset.
#include "emulator_impl.hpp"
#include "json_body.hpp"
#include "seed_file.hpp"

#include <simdjson.h>

#include <fmt/format.h>

#include <set>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;

constexpr std::size_t max_active_group_dms = 10;

response channel_response(int status, const emulator::impl& e, const private_channel& c)
{
    json::writer w;
    write_private_channel(w, e, c);
    return json_response(status, w.take());
}

// The user of `access_token` if it is a live grant of `app` with gdm.join, else the answer.
std::variant<snowflake, response> gdm_user(const emulator::impl& e, const application& app, std::string_view access_token)
{
    const auto* grant = e.book.by_access_token(std::string(access_token), e.now());
    if (!grant || grant->application_id != app.id)
        return api_error(403, 50025, "Invalid OAuth2 access token");
    if (!has_scope(grant->scopes, "gdm.join"))
        return api_error(403, 50026, "Missing required OAuth2 scope");
    return grant->user_id;
}

asio::awaitable<response> create_channel(emulator::impl& e, request& req)
{
    const auto* app = bot_application(e, req);
    if (!app)
        co_return unauthorized();
    simdjson::dom::parser parser;
    auto parsed = json_object_body(req, parser);
    if (!parsed)
        co_return api_error(400, 50109, "The request body contains invalid JSON.");
    auto body = *parsed;

    std::string_view recipient_text;
    if (!body["recipient_id"].get(recipient_text)) {
        auto recipient = parse_snowflake(recipient_text);
        if (!recipient)
            co_return invalid_form_body("recipient_id", "NUMBER_TYPE_COERCE",
                                        fmt::format("Value \"{}\" is not snowflake.", recipient_text));
        if (!e.find_user(*recipient))
            co_return api_error(404, 10013, "Unknown User");
        // One DM per pair, as at Discord: asking again answers the same channel.
        for (const auto& [id, c] : e.channels)
            if (c.type == 1 && c.application_id == app->id && c.recipients == std::vector<snowflake>{*recipient})
                co_return channel_response(200, e, c);
        private_channel dm;
        dm.id = e.new_snowflake();
        dm.type = 1;
        dm.owner_id = app->bot_user_id;
        dm.application_id = app->id;
        dm.recipients = {*recipient};
        auto& stored = e.channels.emplace(dm.id, std::move(dm)).first->second;
        co_return channel_response(200, e, stored);
    }

    simdjson::dom::array tokens;
    if (body["access_tokens"].get(tokens))
        co_return invalid_form_body("access_tokens", "BASE_TYPE_REQUIRED", "This field is required");
    private_channel group;
    std::set<std::string_view> seen;
    std::size_t i = 0;
    for (auto t : tokens) {
        std::string_view token;
        auto at = fmt::format("access_tokens.{}", i++);
        if (t.get(token))
            co_return invalid_form_body(at, "BASE_TYPE_BAD_TYPE", "Must be a string.");
        if (!seen.insert(token).second)
            co_return invalid_form_body("access_tokens", "SET_TYPE_ALREADY_CONTAINS_VALUE", "The set already contains this value.");
        auto who = gdm_user(e, *app, token);
        if (auto* r = std::get_if<response>(&who))
            co_return std::move(*r);
        group.recipients.push_back(std::get<snowflake>(who));
    }
    if (group.recipients.empty())
        co_return invalid_form_body("access_tokens", "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.");
    simdjson::dom::object nicks;
    if (!body["nicks"].get(nicks))
        for (auto [key, value] : nicks) {
            auto user = parse_snowflake(key);
            if (!user)
                co_return invalid_form_body("nicks", "NUMBER_TYPE_COERCE", fmt::format("Value \"{}\" is not snowflake.", key));
            std::string_view nick;
            if (value.is_null())
                continue;
            if (value.get(nick))
                co_return invalid_form_body(fmt::format("nicks.{}", key), "BASE_TYPE_BAD_TYPE", "Must be a string.");
            group.nicks[*user] = std::string(nick);
        }
    std::size_t active = 0;
    for (const auto& [id, c] : e.channels)
        if (c.type == 3 && c.application_id == app->id)
            ++active;
    if (active >= max_active_group_dms)
        co_return api_error(400, 30011, "Maximum number of group DMs reached (10)");
    group.id = e.new_snowflake();
    group.type = 3;
    group.owner_id = app->bot_user_id ? app->bot_user_id : app->id;
    group.application_id = app->id;
    auto& stored = e.channels.emplace(group.id, std::move(group)).first->second;
    co_return channel_response(200, e, stored);
}

asio::awaitable<response> add_recipient(emulator::impl& e, request& req)
{
    const auto* app = bot_application(e, req);
    if (!app)
        co_return unauthorized();
    auto channel_id = parse_snowflake(*req.path_param("channel"));
    auto user_id = parse_snowflake(*req.path_param("user"));
    auto it = channel_id ? e.channels.find(*channel_id) : e.channels.end();
    if (it == e.channels.end())
        co_return api_error(404, 10003, "Unknown Channel");
    auto& channel = it->second;
    if (channel.type != 3 || channel.application_id != app->id)
        co_return api_error(403, 50001, "Missing Access");
    if (!user_id || !e.find_user(*user_id))
        co_return api_error(404, 10013, "Unknown User");
    simdjson::dom::parser parser;
    auto parsed = json_object_body(req, parser);
    if (!parsed)
        co_return api_error(400, 50109, "The request body contains invalid JSON.");
    std::string_view token;
    if ((*parsed)["access_token"].get(token))
        co_return invalid_form_body("access_token", "BASE_TYPE_REQUIRED", "This field is required");
    auto who = gdm_user(e, *app, token);
    if (auto* r = std::get_if<response>(&who))
        co_return std::move(*r);
    if (std::get<snowflake>(who) != *user_id)
        co_return api_error(403, 50025, "Invalid OAuth2 access token");
    if (std::find(channel.recipients.begin(), channel.recipients.end(), *user_id) != channel.recipients.end())
        co_return response{.status = 204};
    std::string_view nick;
    if (!(*parsed)["nick"].get(nick))
        channel.nicks[*user_id] = std::string(nick);
    channel.recipients.push_back(*user_id);
    co_return channel_response(201, e, channel);
}

} // namespace

void write_private_channel(json::writer& w, const emulator::impl& e, const private_channel& c)
{
    w.begin_object()
        .field("id", to_string(c.id))
        .field("type", c.type)
        .key("last_message_id").null()
        .field("flags", 0)
        .key("recipients").begin_array();
    for (auto id : c.recipients)
        if (const auto* u = e.find_user(id))
            write_user(w, *u, false);
    w.end_array();
    if (c.type == 3) {
        w.key("name").null()
            .key("icon").null()
            .field("owner_id", to_string(c.owner_id))
            .field("managed", true)
            .field("application_id", to_string(c.application_id));
    }
    w.end_object();
}

void add_group_dm_routes(emulator::impl& e, server::router& r)
{
    for (std::string base : {"/api", "/api/v9", "/api/v10"}) {
        e.api_route(r, "POST", base + "/users/@me/channels", "channels",
                    [&e](request& req) { return create_channel(e, req); });
        e.api_route(r, "PUT", base + "/channels/{channel}/recipients/{user}", "channels",
                    [&e](request& req) { return add_recipient(e, req); });
    }
}

} // namespace discord::oauth2::emulator
