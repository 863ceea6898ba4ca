// /_emulator/...: what tests and scripts may look at or change while the emulator runs.
//   GET  /_emulator/state   calls per route, invalid requests, connections, live grants with their tokens
//   POST /_emulator/reset   forget codes, grants, role connections, counters and windows
//   POST /_emulator/faults  add a fault (the body is a spec, see faults.hpp); DELETE removes all
//   GET  /_emulator/deliveries                 the webhook events and PINGs sent, with outcomes
//   POST /_emulator/applications/{id}/ping     a PING now: {"bad_signature": true} signs it with
//                                              another key; answers the status the endpoint gave
//   POST /_emulator/applications/{id}/events   send {"type": ..., "data": {...}} as a webhook event
//                                              (entitlements and types the emulator does not make)
#include "emulator_impl.hpp"
#include "json_body.hpp"

#include <discord/oauth2/error.hpp>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;

asio::awaitable<response> state(emulator::impl& e, request&)
{
    json::writer w;
    w.begin_object().key("calls").begin_object();
    std::vector<std::pair<std::string, std::uint64_t>> calls(e.call_counts.begin(), e.call_counts.end());
    std::sort(calls.begin(), calls.end());
    for (const auto& [route, count] : calls)
        if (count)
            w.field(route, count);
    w.end_object()
        .field("invalid_requests", e.invalid_requests)
        .field("codes_outstanding", static_cast<std::uint64_t>(e.book.codes_outstanding()));
    // Connections accepted are TLS handshakes under --tls: what benchmarks count to see whether a
    // client reuses its connections.
    auto served = e.http->stats();
    w.key("connections").begin_object()
        .field("accepted", served.accepted)
        .field("active", static_cast<std::uint64_t>(served.active))
        .field("requests", served.requests)
        .end_object();
    w.key("grants").begin_array();
    std::vector<const grant*> grants;
    for (const auto& [id, g] : e.book.grants())
        grants.push_back(&g);
    std::sort(grants.begin(), grants.end(), [](const grant* a, const grant* b) { return a->id < b->id; });
    for (const auto* g : grants) {
        w.begin_object()
            .field("id", g->id)
            .field("application_id", to_string(g->application_id))
            .field("user_id", to_string(g->user_id))
            .field("scopes", join_scopes(g->scopes))
            .field("access_token", g->access_token);
        w.key("refresh_token");
        if (g->refresh_token.empty())
            w.null();
        else
            w.value(g->refresh_token);
        w.field("expires", iso8601(g->expires_at)).field("refreshes", g->refreshes).end_object();
    }
    w.end_array().end_object();
    co_return json_response(200, w.take());
}

asio::awaitable<response> deliveries(emulator::impl& e, request&)
{
    json::writer w;
    w.begin_array();
    for (const auto& d : e.events->records())
        w.begin_object()
            .field("id", d.id)
            .field("application_id", to_string(d.application_id))
            .field("kind", d.kind)
            .field("url", d.url)
            .field("attempts", d.attempts)
            .field("last_status", d.last_status)
            .field("outcome", d.outcome)
            .end_object();
    w.end_array();
    co_return json_response(200, w.take());
}

application* path_application(emulator::impl& e, const request& req)
{
    auto id = parse_snowflake(req.path_param("id").value_or(""));
    return id ? e.find_application(*id) : nullptr;
}

asio::awaitable<response> ping(emulator::impl& e, request& req)
{
    auto* app = path_application(e, req);
    if (!app)
        co_return api_error(404, 10002, "Unknown Application");
    bool bad = false;
    if (!req.body.empty()) {
        simdjson::dom::parser parser;
        auto body = json_object_body(req, parser);
        if (!body)
            co_return api_error(400, 50109, "The request body contains invalid JSON.");
        if (auto flag = (*body)["bad_signature"]; !flag.error() && flag.get(bad))
            co_return invalid_form_body("bad_signature", "BASE_TYPE_BAD_TYPE", "Must be true or false.");
    }
    if (!app->event_webhooks_url)
        co_return invalid_form_body("event_webhooks_url", "BASE_TYPE_REQUIRED", "The application has no event webhook URL.");
    auto keep = *app; // the application may change while the PING is under way
    int status = co_await e.events->ping(keep, *keep.event_webhooks_url, bad);
    bool right = bad ? status == 401 : status >= 200 && status < 300;
    json::writer w;
    w.begin_object().field("status", status).field("expected", bad ? "401" : "2xx").field("ok", right).end_object();
    co_return json_response(200, w.take());
}

asio::awaitable<response> send_event(emulator::impl& e, request& req)
{
    auto* app = path_application(e, req);
    if (!app)
        co_return api_error(404, 10002, "Unknown Application");
    simdjson::dom::parser parser;
    auto body = json_object_body(req, parser);
    if (!body)
        co_return api_error(400, 50109, "The request body contains invalid JSON.");
    std::string_view type;
    simdjson::dom::object data;
    if ((*body)["type"].get(type) || type.empty())
        co_return invalid_form_body("type", "BASE_TYPE_REQUIRED", "An event type is required.");
    if ((*body)["data"].get(data))
        co_return invalid_form_body("data", "BASE_TYPE_REQUIRED", "The event's data object is required.");
    e.events->publish(*app, type, simdjson::minify(data));
    co_return response{.status = 204};
}

} // namespace

void add_introspection_routes(emulator::impl& e, emulator& owner, server::router& r)
{
    e.route(r, "GET", "/_emulator/state", [&e](request& req) { return state(e, req); });
    e.route(r, "POST", "/_emulator/reset", [&owner](request&) -> asio::awaitable<response> {
        owner.reset();
        co_return response{.status = 204};
    });
    e.route(r, "POST", "/_emulator/faults", [&owner](request& req) -> asio::awaitable<response> {
        try {
            owner.add_fault(fault::parse(req.body));
        } catch (const error& failure) {
            co_return api_error(400, 50035, failure.what());
        }
        co_return response{.status = 204};
    });
    e.route(r, "GET", "/_emulator/deliveries", [&e](request& req) { return deliveries(e, req); });
    e.route(r, "POST", "/_emulator/applications/{id}/ping", [&e](request& req) { return ping(e, req); });
    e.route(r, "POST", "/_emulator/applications/{id}/events", [&e](request& req) { return send_event(e, req); });
    e.route(r, "DELETE", "/_emulator/faults", [&owner](request&) -> asio::awaitable<response> {
        owner.clear_faults();
        co_return response{.status = 204};
    });
}

} // namespace discord::oauth2::emulator
