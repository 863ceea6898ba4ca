#include "json/webhook_event.hpp"

#include "json/decode.hpp"

#include <discord/oauth2/error.hpp>

#include <simdjson.h>

#include <charconv>

namespace discord::oauth2::json {
namespace {

using simdjson::dom::element;

[[noreturn]] void fail(std::string_view what)
{
    throw error(errc::invalid_argument, "the webhook event is not as Discord sends it: " + std::string(what));
}

std::optional<element> field(element object, std::string_view name)
{
    element v;
    if (object.is_object() && !object.get_object().at_key(name).get(v) && !v.is_null())
        return v;
    return std::nullopt;
}

std::string text(element v, std::string_view name)
{
    std::string_view s;
    if (v.get_string().get(s))
        fail(std::string(name) + " should be a string");
    return std::string(s);
}

// Snowflakes come as strings of digits (numbers are accepted too, as elsewhere).
snowflake id(element v, std::string_view name)
{
    std::uint64_t n = 0;
    if (v.is_string()) {
        auto s = text(v, name);
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc() || end != s.data() + s.size() || s.empty())
            fail(std::string(name) + " should be a snowflake");
        return snowflake(n);
    }
    if (v.get_uint64().get(n))
        fail(std::string(name) + " should be a snowflake");
    return snowflake(n);
}

std::optional<snowflake> optional_id(element object, std::string_view name)
{
    if (auto v = field(object, name))
        return id(*v, name);
    return std::nullopt;
}

std::int64_t integer(element v, std::string_view name)
{
    std::int64_t n = 0;
    if (v.get_int64().get(n))
        fail(std::string(name) + " should be an integer");
    return n;
}

// Discord writes these timestamps without an offset ("2024-10-18T14:42:53.064834"): UTC.
std::chrono::system_clock::time_point timestamp(element v, std::string_view name)
{
    auto s = text(v, name);
    bool has_offset = s.size() > 19 && (s.back() == 'Z' || s.find_first_of("+-", 19) != std::string::npos);
    auto t = parse_iso8601(has_offset ? s : s + "Z");
    if (!t)
        fail(std::string(name) + " should be an ISO 8601 timestamp");
    return *t;
}

entitlement read_entitlement(element data)
{
    entitlement e;
    auto required = [&](std::string_view name) {
        auto v = field(data, name);
        if (!v)
            fail("the entitlement has no " + std::string(name));
        return *v;
    };
    e.id = id(required("id"), "entitlement.id");
    e.sku_id = id(required("sku_id"), "entitlement.sku_id");
    e.application_id = id(required("application_id"), "entitlement.application_id");
    e.user_id = optional_id(data, "user_id");
    e.guild_id = optional_id(data, "guild_id");
    if (auto v = field(data, "type"))
        e.type = static_cast<int>(integer(*v, "entitlement.type"));
    if (auto v = field(data, "deleted"); v && v->get_bool().get(e.deleted))
        fail("entitlement.deleted should be true or false");
    if (auto v = field(data, "consumed")) {
        bool b = false;
        if (v->get_bool().get(b))
            fail("entitlement.consumed should be true or false");
        e.consumed = b;
    }
    if (auto v = field(data, "starts_at"))
        e.starts_at = timestamp(*v, "entitlement.starts_at");
    if (auto v = field(data, "ends_at"))
        e.ends_at = timestamp(*v, "entitlement.ends_at");
    return e;
}

// Fills what the library models of `event.data`, by event type.
void read_data(application_event& e, element data, snowflake& user_id)
{
    if (!data.is_object())
        fail("event.data should be an object");
    if (auto user = field(data, "user")) {
        auto user_id_field = field(*user, "id");
        if (!user_id_field)
            fail("event.data.user has no id");
        user_id = id(*user_id_field, "event.data.user.id");
    }
    if (e.type == "APPLICATION_AUTHORIZED") {
        if (auto v = field(data, "integration_type"))
            e.integration_type = static_cast<int>(integer(*v, "event.data.integration_type"));
        if (auto v = field(data, "scopes")) {
            simdjson::dom::array scopes;
            if (v->get_array().get(scopes))
                fail("event.data.scopes should be an array");
            for (element s : scopes)
                e.scopes.push_back(text(s, "event.data.scopes[]"));
        }
        if (auto guild = field(data, "guild"))
            e.guild_id = optional_id(*guild, "id");
    } else if (e.type.starts_with("ENTITLEMENT_")) {
        e.entitlement = read_entitlement(data);
        if (user_id.value() == 0 && e.entitlement->user_id)
            user_id = *e.entitlement->user_id;
    }
}

element parse(simdjson::dom::parser& parser, std::string_view json, std::string_view what)
{
    element root;
    if (parser.parse(json.data(), json.size()).get(root))
        fail(std::string(what) + " is not JSON");
    return root;
}

} // namespace

webhook_payload decode_webhook(std::string_view body)
{
    simdjson::dom::parser parser;
    auto root = parse(parser, body, "the body");
    if (!root.is_object())
        fail("the body should be an object");
    webhook_payload p;
    auto type = field(root, "type");
    if (!type)
        fail("the body has no type");
    p.type = static_cast<int>(integer(*type, "type"));
    auto application = field(root, "application_id");
    if (!application)
        fail("the body has no application_id");
    p.application_id = id(*application, "application_id");
    if (p.type != 1)
        return p;
    auto body_event = field(root, "event");
    if (!body_event || !body_event->is_object())
        fail("an event (type 1) has no event object");
    application_event e;
    auto event_type = field(*body_event, "type");
    if (!event_type)
        fail("the event has no type");
    e.type = text(*event_type, "event.type");
    auto when = field(*body_event, "timestamp");
    if (!when)
        fail("the event has no timestamp");
    e.timestamp = timestamp(*when, "event.timestamp");
    if (auto data = field(*body_event, "data")) {
        e.data_json = simdjson::minify(*data);
        read_data(e, *data, p.user_id);
    }
    p.event = std::move(e);
    return p;
}

application_event application_event_from(std::string type, std::chrono::system_clock::time_point when,
                                         std::string data_json, snowflake& user_id)
{
    application_event e;
    e.type = std::move(type);
    e.timestamp = when;
    e.data_json = std::move(data_json);
    if (!e.data_json.empty()) {
        simdjson::dom::parser parser;
        read_data(e, parse(parser, e.data_json, "event.data"), user_id);
    }
    return e;
}

} // namespace discord::oauth2::json
