// GET and PATCH /applications/@me: the application behind a bot token, and its settings (the
// event webhook URL, status and types, the linked roles verification URL), checked as Discord
// checks them (docs/emulator.md).
#include "emulator_impl.hpp"
#include "json_body.hpp"

#include "core/url_parts.hpp"

#include <openssl/crypto.h>
#include <simdjson.h>

namespace discord::oauth2::emulator {

application* bot_application(emulator::impl& e, const server::request& req)
{
    auto auth = req.fields.find("authorization");
    if (!auth || !auth->starts_with("Bot "))
        return nullptr;
    auto token = auth->substr(4);
    for (auto& a : e.world.applications)
        if (!a.bot_token.empty() && a.bot_token.size() == token.size()
            && CRYPTO_memcmp(a.bot_token.data(), token.data(), token.size()) == 0)
            return &a;
    return nullptr;
}

namespace {

using server::request;
using server::response;

response current(emulator::impl& e, const application& app)
{
    json::writer w;
    write_private_application(w, app, e.find_user(app.owner_id));
    return json_response(200, w.take());
}

asio::awaitable<response> get_application(emulator::impl& e, request& req)
{
    const auto* app = bot_application(e, req);
    if (!app)
        co_return unauthorized();
    co_return current(e, *app);
}

// A URL Discord would take: absolute https, or http on loopback (the emulator's own tests).
bool acceptable_url(std::string_view text)
{
    auto parts = url::split(text);
    return parts && (parts->scheme == "https" || parts->on_loopback());
}

asio::awaitable<response> patch_application(emulator::impl& e, request& req)
{
    auto* app = bot_application(e, req);
    if (!app)
        co_return unauthorized();
    simdjson::dom::parser parser;
    auto parsed = json_object_body(req, parser);
    if (!parsed)
        co_return api_error(400, 50109, "The request body contains invalid JSON.");
    auto body = *parsed;

    // Checked whole before anything changes: a refused request changes nothing.
    application changed = *app;
    for (auto [key, value] : body.get_object()) {
        if (key == "event_webhooks_url" || key == "role_connections_verification_url") {
            auto& target = key == "event_webhooks_url" ? changed.event_webhooks_url : changed.role_connections_verification_url;
            std::string_view text;
            if (value.is_null())
                target.reset();
            else if (value.get(text) || !acceptable_url(text))
                co_return invalid_form_body(key, "URL_TYPE_INVALID_URL", "Not a well formed URL.");
            else
                target = std::string(text);
        } else if (key == "event_webhooks_status") {
            std::int64_t status = 0;
            if (value.get(status) || (status != 1 && status != 2))
                co_return invalid_form_body(key, "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.");
            changed.event_webhooks_status = static_cast<int>(status);
        } else if (key == "event_webhooks_types") {
            simdjson::dom::array types;
            if (value.get(types))
                co_return invalid_form_body(key, "BASE_TYPE_BAD_TYPE", "Must be an array.");
            changed.event_webhooks_types.clear();
            for (auto t : types) {
                std::string_view name;
                if (t.get(name) || name.empty() || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string_view::npos)
                    co_return invalid_form_body(key, "BASE_TYPE_CHOICES", "Value is not a webhook event type.");
                changed.event_webhooks_types.emplace_back(name);
            }
        }
        // Other fields of the application are Discord's to change; the emulator ignores them.
    }
    if (changed.event_webhooks_status == 2 && !changed.event_webhooks_url)
        co_return invalid_form_body("event_webhooks_url", "BASE_TYPE_REQUIRED",
                                    "An event webhook URL is required to enable events.");
    // A new event webhook URL is tried before it is kept, as Discord does: a signed PING must be
    // acknowledged and one with a bad signature refused with 401.
    if (e.opts.check_event_webhook_urls && changed.event_webhooks_url
        && changed.event_webhooks_url != app->event_webhooks_url) {
        auto url = *changed.event_webhooks_url;
        int signed_status = co_await e.events->ping(changed, url, false);
        int unsigned_status = signed_status >= 200 && signed_status < 300 ? co_await e.events->ping(changed, url, true) : 0;
        if (unsigned_status != 401)
            co_return invalid_form_body(
                "event_webhooks_url", "APPLICATION_EVENT_WEBHOOKS_URL_INVALID",
                signed_status < 200 || signed_status >= 300
                    ? "The URL did not acknowledge a signed PING with 204."
                    : "The URL did not refuse a PING with a bad signature with 401: it must check signatures.");
    }
    *app = std::move(changed);
    co_return current(e, *app);
}

} // namespace

void add_application_routes(emulator::impl& e, server::router& r)
{
    for (std::string base : {"/api", "/api/v9", "/api/v10"}) {
        e.api_route(r, "GET", base + "/applications/@me", "application",
                    [&e](request& req) { return get_application(e, req); });
        e.api_route(r, "PATCH", base + "/applications/@me", "application",
                    [&e](request& req) { return patch_application(e, req); });
        // The same application as Discord's OAuth2 routes see it.
        e.api_route(r, "GET", base + "/oauth2/applications/@me", "application",
                    [&e](request& req) { return get_application(e, req); });
    }
}

} // namespace discord::oauth2::emulator
