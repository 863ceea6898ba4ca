// GET and PUT /applications/{application}/role-connections/metadata with the application's bot
// token: its role connection metadata records, checked on PUT as Discord checks them (at most 5,
// types 1 to 8, keys [a-z0-9_]{1,50} and unique, names 1 to 100 and descriptions 1 to 200
// characters, localizations for Discord's locales of the same lengths). docs/emulator.md.
#include "emulator_impl.hpp"

#include "client/role_metadata.hpp" // Discord's list of locales
#include "core/utf8.hpp"

#include <simdjson.h>

#include <fmt/format.h>

#include <set>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;

response write(const std::vector<role_metadata_record>& records)
{
    json::writer w;
    w.begin_array();
    for (const auto& r : records) {
        w.begin_object().field("type", r.type).field("key", r.key).field("name", r.name);
        auto localizations = [&](std::string_view name, const std::map<std::string, std::string>& texts) {
            w.key(name);
            if (texts.empty()) {
                w.null(); // as Discord answers for records without them
                return;
            }
            w.begin_object();
            for (const auto& [locale, text] : texts)
                w.field(locale, text);
            w.end_object();
        };
        localizations("name_localizations", r.name_localizations);
        w.field("description", r.description);
        localizations("description_localizations", r.description_localizations);
        w.end_object();
    }
    w.end_array();
    return json_response(200, w.take());
}

// The application of the path, if the bot token is its own; else the answer.
std::variant<application*, response> owner(emulator::impl& e, const request& req)
{
    auto* app = bot_application(e, req);
    if (!app)
        return unauthorized();
    auto id = parse_snowflake(req.path_param("application").value_or(""));
    if (!id || *id != app->id)
        return api_error(403, 50001, "Missing Access");
    return app;
}

std::optional<response> bad_length(const std::string& field, std::string_view text, std::size_t most)
{
    auto n = utf8::characters(text);
    if (n >= 1 && n <= most)
        return std::nullopt;
    return invalid_form_body(field, "BASE_TYPE_BAD_LENGTH", fmt::format("Must be between 1 and {} in length.", most));
}

// A localizations object into `into`; the error answer if it is not one Discord takes.
std::optional<response> read_localizations(const std::string& field, simdjson::dom::element value, std::size_t most,
                                           std::map<std::string, std::string>& into)
{
    if (value.is_null())
        return std::nullopt;
    simdjson::dom::object object;
    if (value.get(object))
        return invalid_form_body(field, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
    for (auto [locale, text] : object) {
        if (!rest::is_discord_locale(locale))
            return invalid_form_body(field, "LOCALE_INVALID", fmt::format("Invalid locale: {}", locale));
        if (text.is_null())
            continue;
        std::string_view s;
        if (text.get(s))
            return invalid_form_body(field + "." + std::string(locale), "BASE_TYPE_BAD_TYPE", "Must be a string.");
        if (auto bad = bad_length(field + "." + std::string(locale), s, most))
            return bad;
        into[std::string(locale)] = std::string(s);
    }
    return std::nullopt;
}

asio::awaitable<response> get_metadata(emulator::impl& e, request& req)
{
    auto a = owner(e, req);
    if (auto* r = std::get_if<response>(&a))
        co_return std::move(*r);
    co_return write(std::get<application*>(a)->role_metadata);
}

asio::awaitable<response> put_metadata(emulator::impl& e, request& req)
{
    auto a = owner(e, req);
    if (auto* r = std::get_if<response>(&a))
        co_return std::move(*r);
    auto* app = std::get<application*>(a);
    if (!req.fields.find("content-type").value_or("").starts_with("application/json"))
        co_return api_error(400, 50109, "The request body contains invalid JSON.");
    simdjson::dom::parser parser;
    simdjson::dom::element body;
    simdjson::dom::array items;
    if (parser.parse(simdjson::padded_string(req.body)).get(body) || body.get(items))
        co_return api_error(400, 50109, "The request body contains invalid JSON.");
    if (items.size() > 5)
        co_return invalid_form_body("_root", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.");

    std::vector<role_metadata_record> records;
    std::set<std::string> keys;
    std::size_t index = 0;
    for (auto item : items) {
        auto at = std::to_string(index++);
        simdjson::dom::object object;
        if (item.get(object))
            co_return invalid_form_body(at, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
        role_metadata_record r;
        std::int64_t type = 0;
        if (auto field = object["type"]; field.error())
            co_return invalid_form_body(at + ".type", "BASE_TYPE_REQUIRED", "This field is required");
        else if (field.get(type) || type < 1 || type > 8)
            co_return invalid_form_body(at + ".type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6, 7, 8}.");
        r.type = static_cast<int>(type);
        for (auto [name, most, target] : {std::tuple{"key", std::size_t{50}, &r.key}, std::tuple{"name", std::size_t{100}, &r.name},
                                          std::tuple{"description", std::size_t{200}, &r.description}}) {
            std::string_view text;
            auto field = object[name];
            if (field.error())
                co_return invalid_form_body(at + "." + name, "BASE_TYPE_REQUIRED", "This field is required");
            if (field.get(text))
                co_return invalid_form_body(at + "." + name, "BASE_TYPE_BAD_TYPE", "Must be a string.");
            if (auto bad = bad_length(at + "." + name, text, most))
                co_return std::move(*bad);
            *target = std::string(text);
        }
        if (r.key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
            co_return invalid_form_body(at + ".key", "APPLICATION_ROLE_CONNECTIONS_METADATA_KEY_INVALID",
                                        "Keys may contain only a-z, 0-9 and _.");
        if (!keys.insert(r.key).second)
            co_return invalid_form_body(at + ".key", "APPLICATION_ROLE_CONNECTIONS_METADATA_KEY_DUPLICATE",
                                        "Keys must be unique.");
        if (auto f = object["name_localizations"]; !f.error())
            if (auto bad = read_localizations(at + ".name_localizations", f.value_unsafe(), 100, r.name_localizations))
                co_return std::move(*bad);
        if (auto f = object["description_localizations"]; !f.error())
            if (auto bad = read_localizations(at + ".description_localizations", f.value_unsafe(), 200,
                                              r.description_localizations))
                co_return std::move(*bad);
        records.push_back(std::move(r));
    }
    app->role_metadata = std::move(records);
    co_return write(app->role_metadata);
}

} // namespace

void add_role_metadata_routes(emulator::impl& e, server::router& r)
{
    for (std::string base : {"/api", "/api/v9", "/api/v10"}) {
        auto path = base + "/applications/{application}/role-connections/metadata";
        e.api_route(r, "GET", path, "role_metadata", [&e](request& req) { return get_metadata(e, req); });
        e.api_route(r, "PUT", path, "role_metadata", [&e](request& req) { return put_metadata(e, req); });
    }
}

} // namespace discord::oauth2::emulator
