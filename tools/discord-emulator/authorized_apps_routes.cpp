// The user's side of an authorization, as in Discord's User Settings → Authorized Apps:
//   GET  /settings/authorized-apps              the signed-in user's apps, each with "Remove"
//   POST /settings/authorized-apps              the "Remove" button: the app is deauthorized
//   POST /_emulator/users/{id}/deauthorize      the same for scripts and tests; body or query may
//                                               name one application_id, else every app of the user
// Deauthorizing ends every grant of that user with the application (every token dies), forgets
// the role connection and sends APPLICATION_DEAUTHORIZED (docs/emulator.md).
#include "emulator_impl.hpp"
#include "json_body.hpp"

#include "core/html.hpp"
#include "core/url_encoding.hpp"

#include <fmt/format.h>

#include <set>

namespace discord::oauth2::emulator {

std::variant<url::parameters, server::response> read_site_form(const emulator::impl& e, const server::request& req,
                                                               std::string_view title)
{
    // A form posted from another site must not act for the signed-in user (cross-site request
    // forgery): a browser always names the page's origin on a POST.
    if (auto origin = req.fields.find("origin"); origin && *origin != e.base_url())
        return html_page(403, title, "<h1>This form must be sent from the emulator's own page.</h1>");
    if (!req.fields.find("content-type").value_or("").starts_with("application/x-www-form-urlencoded"))
        return html_page(400, title, "<h1>The form must be posted as a form.</h1>");
    auto form = url::parse_query(req.body);
    if (!form)
        return html_page(400, title, "<h1>Malformed form.</h1>");
    return std::move(*form);
}

bool deauthorize(emulator::impl& e, application& app, const user& u)
{
    std::vector<std::uint64_t> ended;
    for (const auto& [id, g] : e.book.grants())
        if (g.application_id == app.id && g.user_id == u.id)
            ended.push_back(id);
    if (ended.empty())
        return false;
    for (auto id : ended)
        e.book.revoke(id);
    e.role_connections.erase({app.id, u.id});
    json::writer w;
    w.begin_object().key("user");
    write_user(w, u, false);
    w.end_object();
    e.events->publish(app, "APPLICATION_DEAUTHORIZED", w.take());
    return true;
}

namespace {

using server::request;
using server::response;

// The applications `u` has a live grant with, in the seed's order.
std::vector<application*> authorized_apps(emulator::impl& e, const user& u)
{
    std::set<snowflake> ids;
    for (const auto& [id, g] : e.book.grants())
        if (g.user_id == u.id && g.expires_at > e.now())
            ids.insert(g.application_id);
    std::vector<application*> apps;
    for (auto& a : e.world.applications)
        if (ids.contains(a.id))
            apps.push_back(&a);
    return apps;
}

response settings_page(emulator::impl& e, const user& u, std::string_view notice)
{
    std::string items;
    for (auto* app : authorized_apps(e, u)) {
        std::set<std::string> scopes;
        for (const auto& [id, g] : e.book.grants())
            if (g.user_id == u.id && g.application_id == app->id)
                scopes.insert(g.scopes.begin(), g.scopes.end());
        std::string scope_list;
        for (const auto& s : scopes)
            scope_list += fmt::format(" <code>{}</code>", html::escape(s));
        items += fmt::format(
            R"(<li><strong>{name}</strong>:{scopes}
<form method="post" action="/settings/authorized-apps"><input type="hidden" name="emulator_user" value="{user}">
<input type="hidden" name="application_id" value="{app}">
<div class="actions"><button type="submit" name="decision" value="remove">Remove {name}</button></div></form></li>)",
            fmt::arg("name", html::escape(app->name)), fmt::arg("scopes", scope_list), fmt::arg("user", u.id),
            fmt::arg("app", app->id));
    }
    if (items.empty())
        items = "<li>No authorized apps.</li>";
    auto body = fmt::format(R"(<h1>Authorized Apps</h1>
<p>Signed in as <strong>{user}</strong> (@{username}).</p>{notice}<ul>{items}</ul>
<p class="note">Discord OAuth2 emulator. Removing an app ends its access: every token dies, and the
app is told with an APPLICATION_DEAUTHORIZED webhook event.</p>)",
                            fmt::arg("user", html::escape(u.global_name.value_or(u.username))),
                            fmt::arg("username", html::escape(u.username)),
                            fmt::arg("notice", notice.empty() ? std::string()
                                                              : fmt::format("<p role=\"status\">{}</p>", html::escape(notice))),
                            fmt::arg("items", items));
    auto r = html_page(200, "Authorized Apps", body);
    r.fields.add("Set-Cookie", fmt::format("emulator_user={}; Path=/; HttpOnly; SameSite=Lax", u.id));
    return r;
}

asio::awaitable<response> settings_get(emulator::impl& e, request& req)
{
    const auto* u = signed_in_user(e, req, req.query);
    if (!u)
        co_return html_page(400, "Authorized Apps", "<h1>The emulator has no user to sign in.</h1>");
    co_return settings_page(e, *u, {});
}

asio::awaitable<response> settings_post(emulator::impl& e, request& req)
{
    auto read = read_site_form(e, req, "Authorized Apps");
    if (auto* refused = std::get_if<response>(&read))
        co_return std::move(*refused);
    const auto* form = &std::get<url::parameters>(read);
    const auto* u = signed_in_user(e, req, *form);
    auto app_id = parse_snowflake(form_value(*form, "application_id").value_or(""));
    auto* app = app_id ? e.find_application(*app_id) : nullptr;
    if (!u || !app)
        co_return html_page(400, "Authorized Apps", "<h1>Unknown user or application.</h1>");
    bool removed = deauthorize(e, *app, *u);
    co_return settings_page(e, *u, removed ? app->name + " was removed." : app->name + " was not authorized.");
}

asio::awaitable<response> deauthorize_post(emulator::impl& e, request& req)
{
    auto user_id = parse_snowflake(req.path_param("id").value_or(""));
    const auto* u = user_id ? e.find_user(*user_id) : nullptr;
    if (!u)
        co_return api_error(404, 10013, "Unknown User");
    std::optional<std::string> named;
    if (auto q = req.query_param("application_id"))
        named = std::string(*q);
    if (!req.body.empty()) {
        simdjson::dom::parser parser;
        auto body = json_object_body(req, parser);
        if (!body)
            co_return api_error(400, 50109, "The request body contains invalid JSON.");
        std::string_view text;
        if (!(*body)["application_id"].get(text))
            named = std::string(text);
    }
    std::vector<application*> apps;
    if (named) {
        auto id = parse_snowflake(*named);
        auto* app = id ? e.find_application(*id) : nullptr;
        if (!app)
            co_return api_error(404, 10002, "Unknown Application");
        apps.push_back(app);
    } else {
        apps = authorized_apps(e, *u);
    }
    json::writer w;
    w.begin_object().key("deauthorized").begin_array();
    for (auto* app : apps)
        if (deauthorize(e, *app, *u))
            w.value(to_string(app->id));
    w.end_array().end_object();
    co_return json_response(200, w.take());
}

} // namespace

void add_authorized_apps_routes(emulator::impl& e, server::router& r)
{
    e.route(r, "GET", "/settings/authorized-apps", [&e](request& req) { return settings_get(e, req); });
    e.route(r, "POST", "/settings/authorized-apps", [&e](request& req) { return settings_post(e, req); });
    e.route(r, "POST", "/_emulator/users/{id}/deauthorize", [&e](request& req) { return deauthorize_post(e, req); });
}

} // namespace discord::oauth2::emulator
