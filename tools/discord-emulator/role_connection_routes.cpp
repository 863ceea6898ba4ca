// GET/PUT/DELETE /users/@me/applications/{application}/role-connection (docs/discord.md):
// needs role_connections.write for that application; PUT is validated as Discord does.
#include "emulator_impl.hpp"
#include "json_body.hpp"

#include "core/utf8.hpp"

#include <simdjson.h>

#include <fmt/format.h>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;

bool valid_metadata_key(std::string_view k)
{
    if (k.empty() || k.size() > 50)
        return false;
    for (char c : k)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

response write(const role_connection& rc)
{
    json::writer w;
    w.begin_object();
    if (rc.platform_name) // Discord's spec types it as a string, never null: absent when unset
        w.field("platform_name", *rc.platform_name);
    w.key("platform_username").value_or_null(rc.platform_username)
        .key("metadata").begin_object();
    for (const auto& [k, v] : rc.metadata)
        w.field(k, v);
    w.end_object().end_object();
    return json_response(200, w.take());
}

// The grant if it may touch this application's role connection, else the error to answer.
std::variant<const grant*, response> authorize(const emulator::impl& e, const request& req)
{
    const auto* g = bearer_grant(e, req);
    if (!g)
        return unauthorized();
    auto app = parse_snowflake(*req.path_param("application"));
    if (!app || *app != g->application_id)
        return api_error(403, 50001, "Missing Access");
    if (!has_scope(g->scopes, "role_connections.write"))
        return unauthorized();
    return g;
}

asio::awaitable<response> get_connection(emulator::impl& e, request& req)
{
    auto a = authorize(e, req);
    if (auto* r = std::get_if<response>(&a))
        co_return std::move(*r);
    const auto* g = std::get<const grant*>(a);
    auto it = e.role_connections.find({g->application_id, g->user_id});
    co_return write(it == e.role_connections.end() ? role_connection{} : it->second);
}

asio::awaitable<response> put_connection(emulator::impl& e, request& req)
{
    auto a = authorize(e, req);
    if (auto* r = std::get_if<response>(&a))
        co_return std::move(*r);
    const auto* g = std::get<const grant*>(a);
    simdjson::dom::parser parser;
    auto parsed = json_object_body(req, parser);
    if (!parsed)
        co_return api_error(400, 50109, "The request body contains invalid JSON.");
    auto body = *parsed;

    role_connection rc;
    std::string_view text;
    if (auto field = body["platform_name"]; field.error() != simdjson::NO_SUCH_FIELD && !field.is_null()) {
        if (field.get(text) || utf8::characters(text) > 50)
            co_return invalid_form_body("platform_name", "BASE_TYPE_BAD_LENGTH", "Must be 50 or fewer in length.");
        rc.platform_name = std::string(text);
    }
    if (auto field = body["platform_username"]; field.error() != simdjson::NO_SUCH_FIELD && !field.is_null()) {
        if (field.get(text) || utf8::characters(text) > 100)
            co_return invalid_form_body("platform_username", "BASE_TYPE_BAD_LENGTH", "Must be 100 or fewer in length.");
        rc.platform_username = std::string(text);
    }
    simdjson::dom::object metadata;
    if (auto field = body["metadata"]; field.error() != simdjson::NO_SUCH_FIELD) {
        if (field.get(metadata))
            co_return invalid_form_body("metadata", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
        if (metadata.size() > 5)
            co_return invalid_form_body("metadata", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.");
        for (auto [key, value] : metadata) {
            if (!valid_metadata_key(key))
                co_return invalid_form_body("metadata", "BASE_TYPE_CHOICES",
                                            "Keys must be 1 to 50 of a-z, 0-9 and _.");
            std::string v;
            std::string_view s;
            std::int64_t n = 0;
            if (!value.get(s))
                v = std::string(s);
            else if (!value.get(n))
                v = std::to_string(n); // Discord stores metadata values as strings
            else
                co_return invalid_form_body("metadata", "BASE_TYPE_BAD_TYPE", "Values must be strings or integers.");
            if (utf8::characters(v) > 100)
                co_return invalid_form_body("metadata", "BASE_TYPE_BAD_LENGTH", "Values must be 100 or fewer in length.");
            rc.metadata[std::string(key)] = std::move(v);
        }
    }
    auto& stored = e.role_connections[{g->application_id, g->user_id}] = std::move(rc);
    co_return write(stored);
}

asio::awaitable<response> delete_connection(emulator::impl& e, request& req)
{
    auto a = authorize(e, req);
    if (auto* r = std::get_if<response>(&a))
        co_return std::move(*r);
    const auto* g = std::get<const grant*>(a);
    e.role_connections.erase({g->application_id, g->user_id});
    co_return response{.status = 204};
}

} // namespace

void add_role_connection_routes(emulator::impl& e, server::router& r)
{
    for (std::string base : {"/api", "/api/v9", "/api/v10"}) {
        auto path = base + "/users/@me/applications/{application}/role-connection";
        e.api_route(r, "GET", path, "role_connection", [&e](request& req) { return get_connection(e, req); });
        e.api_route(r, "PUT", path, "role_connection", [&e](request& req) { return put_connection(e, req); });
        e.api_route(r, "DELETE", path, "role_connection", [&e](request& req) { return delete_connection(e, req); });
    }
}

} // namespace discord::oauth2::emulator
