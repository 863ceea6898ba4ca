// Slash command permissions in a guild (docs/emulator.md):
//   GET /applications/{application}/guilds/{guild}/commands/permissions
//   GET and PUT /applications/{application}/guilds/{guild}/commands/{command}/permissions
// Read with the application's bot token or a Bearer token with
// applications.commands.permissions.update; changed only with the Bearer token of a member who
// may manage the guild and its roles (Discord refuses bots there).
#include "emulator_impl.hpp"
#include "json_body.hpp"
#include "seed_file.hpp"

#include <simdjson.h>

#include <fmt/format.h>

#include <charconv>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;

constexpr std::uint64_t administrator = 1ULL << 3;
constexpr std::uint64_t manage_guild = 1ULL << 5;
constexpr std::uint64_t manage_roles = 1ULL << 28;

struct caller {
    const application* app = nullptr;
    guild* where = nullptr;
};

// Who asks, for which application and guild; the answer to give instead when they may not.
std::variant<caller, response> authorize(emulator::impl& e, const request& req, bool change)
{
    auto app_id = parse_snowflake(*req.path_param("application"));
    auto guild_id = parse_snowflake(*req.path_param("guild"));
    caller c;
    snowflake member_id = 0;
    if (const auto* bot = bot_application(e, req)) {
        if (change)
            return api_error(403, 20001, "Bots cannot use this endpoint");
        c.app = bot;
        member_id = bot->bot_user_id;
    } else if (const auto* g = bearer_grant(e, req)) {
        if (!has_scope(g->scopes, "applications.commands.permissions.update"))
            return unauthorized();
        c.app = e.find_application(g->application_id);
        member_id = g->user_id;
    } else {
        return unauthorized();
    }
    if (!app_id || !c.app || *app_id != c.app->id)
        return api_error(403, 50001, "Missing Access");
    c.where = guild_id ? e.find_guild(*guild_id) : nullptr;
    if (!c.where)
        return api_error(404, 10004, "Unknown Guild");
    auto member = c.where->members.find(member_id);
    if (member == c.where->members.end())
        return api_error(403, 50001, "Missing Access");
    if (change && c.where->owner_id != member_id) {
        std::uint64_t bits = 0;
        const auto& text = member->second.permissions;
        std::from_chars(text.data(), text.data() + text.size(), bits);
        bool may = (bits & administrator) || ((bits & manage_guild) && (bits & manage_roles));
        if (!may)
            return api_error(403, 50013, "Missing Permissions");
    }
    return c;
}

// The command the path names, if the application has it in this guild (a global command, one of
// this guild, or the application's own id for the overwrites of all its commands).
std::optional<snowflake> command_in(const caller& c, const request& req)
{
    auto id = parse_snowflake(*req.path_param("command"));
    if (!id)
        return std::nullopt;
    if (*id == c.app->id)
        return id;
    for (const auto& command : c.app->commands)
        if (command.id == *id && (!command.guild_id || *command.guild_id == c.where->id))
            return id;
    return std::nullopt;
}

void write_set(json::writer& w, snowflake app, snowflake guild, snowflake command,
               const std::vector<command_permission_record>& permissions)
{
    w.begin_object()
        .field("id", to_string(command))
        .field("application_id", to_string(app))
        .field("guild_id", to_string(guild))
        .key("permissions").begin_array();
    for (const auto& p : permissions)
        w.begin_object().field("id", to_string(p.id)).field("type", p.type).field("permission", p.permission).end_object();
    w.end_array().end_object();
}

asio::awaitable<response> list_permissions(emulator::impl& e, request& req)
{
    auto a = authorize(e, req, false);
    if (auto* r = std::get_if<response>(&a))
        co_return std::move(*r);
    const auto& c = std::get<caller>(a);
    json::writer w;
    w.begin_array();
    for (const auto& [key, permissions] : e.command_permissions) {
        const auto& [app, guild, command] = key;
        if (app == c.app->id && guild == c.where->id)
            write_set(w, app, guild, command, permissions);
    }
    w.end_array();
    co_return json_response(200, w.take());
}

// The caller and the command the path names, or the answer when either is refused.
std::variant<std::pair<caller, snowflake>, response> caller_and_command(emulator::impl& e, const request& req, bool change)
{
    auto a = authorize(e, req, change);
    if (auto* r = std::get_if<response>(&a))
        return std::move(*r);
    const auto& c = std::get<caller>(a);
    auto command = command_in(c, req);
    if (!command)
        return api_error(404, 10063, "Unknown application command");
    return std::pair{c, *command};
}

asio::awaitable<response> get_permissions(emulator::impl& e, request& req)
{
    auto found = caller_and_command(e, req, false);
    if (auto* r = std::get_if<response>(&found))
        co_return std::move(*r);
    auto [c, command] = std::get<std::pair<caller, snowflake>>(found);
    auto it = e.command_permissions.find({c.app->id, c.where->id, command});
    if (it == e.command_permissions.end())
        co_return api_error(404, 10066, "Unknown application command permissions");
    json::writer w;
    write_set(w, c.app->id, c.where->id, command, it->second);
    co_return json_response(200, w.take());
}

// The overwrites of a PUT body, or Discord's field error.
std::variant<std::vector<command_permission_record>, response> read_permissions(simdjson::dom::element body)
{
    std::vector<command_permission_record> out;
    auto field = body["permissions"];
    if (field.error() == simdjson::NO_SUCH_FIELD || field.is_null())
        return out;
    simdjson::dom::array items;
    if (field.get(items))
        return invalid_form_body("permissions", "BASE_TYPE_BAD_TYPE", "Must be a list.");
    if (items.size() > 100)
        return invalid_form_body("permissions", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
    std::size_t i = 0;
    for (auto item : items) {
        auto at = fmt::format("permissions.{}", i++);
        if (!item.is_object())
            return invalid_form_body(at, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
        command_permission_record p;
        std::string_view id_text;
        if (item["id"].get(id_text))
            return invalid_form_body(at + ".id", "BASE_TYPE_REQUIRED", "This field is required");
        auto id = parse_snowflake(id_text);
        if (!id)
            return invalid_form_body(at + ".id", "NUMBER_TYPE_COERCE", fmt::format("Value \"{}\" is not snowflake.", id_text));
        p.id = *id;
        std::int64_t type = 0;
        if (item["type"].get(type))
            return invalid_form_body(at + ".type", "BASE_TYPE_REQUIRED", "This field is required");
        if (type < 1 || type > 3)
            return invalid_form_body(at + ".type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.");
        p.type = static_cast<int>(type);
        if (item["permission"].get(p.permission))
            return invalid_form_body(at + ".permission", "BASE_TYPE_REQUIRED", "This field is required");
        out.push_back(p);
    }
    return out;
}

asio::awaitable<response> put_permissions(emulator::impl& e, request& req)
{
    auto found = caller_and_command(e, req, true);
    if (auto* r = std::get_if<response>(&found))
        co_return std::move(*r);
    auto [c, command] = std::get<std::pair<caller, snowflake>>(found);
    simdjson::dom::parser parser;
    auto parsed = json_object_body(req, parser);
    if (!parsed)
        co_return api_error(400, 50109, "The request body contains invalid JSON.");
    auto read = read_permissions(*parsed);
    if (auto* r = std::get_if<response>(&read))
        co_return std::move(*r);
    auto& stored = e.command_permissions[{c.app->id, c.where->id, command}];
    stored = std::move(std::get<std::vector<command_permission_record>>(read));
    json::writer w;
    write_set(w, c.app->id, c.where->id, command, stored);
    co_return json_response(200, w.take());
}

} // namespace

void add_command_permission_routes(emulator::impl& e, server::router& r)
{
    for (std::string base : {"/api", "/api/v9", "/api/v10"}) {
        auto guild = base + "/applications/{application}/guilds/{guild}/commands";
        e.api_route(r, "GET", guild + "/permissions", "command_permissions",
                    [&e](request& req) { return list_permissions(e, req); });
        e.api_route(r, "GET", guild + "/{command}/permissions", "command_permissions",
                    [&e](request& req) { return get_permissions(e, req); });
        e.api_route(r, "PUT", guild + "/{command}/permissions", "command_permissions",
                    [&e](request& req) { return put_permissions(e, req); });
    }
}

} // namespace discord::oauth2::emulator
