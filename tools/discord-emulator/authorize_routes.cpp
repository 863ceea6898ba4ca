// GET /oauth2/authorize: the consent page (or an immediate redirect with --auto-approve), and
// POST /oauth2/authorize: the page's Authorize and Cancel buttons (docs/discord.md).
#include "core/html.hpp"
#include "emulator_impl.hpp"

#include "core/url_encoding.hpp"

#include <fmt/format.h>

#include <variant>

namespace discord::oauth2::emulator {

void announce_authorized(emulator::impl& e, const application& app, const user& who, const std::vector<std::string>& scopes,
                         std::optional<int> integration_type, std::optional<snowflake> guild_id)
{
    json::writer w;
    w.begin_object();
    if (!integration_type && has_scope(scopes, "bot"))
        integration_type = 0;
    if (integration_type)
        w.field("integration_type", *integration_type);
    w.key("scopes").begin_array();
    for (const auto& s : scopes)
        w.value(s);
    w.end_array().key("user");
    write_user(w, who, false);
    if (has_scope(scopes, "bot") && guild_id)
        if (auto* g = e.find_guild(*guild_id)) {
            w.key("guild");
            write_full_guild(w, *g);
        }
    w.end_object();
    e.events->publish(app, "APPLICATION_AUTHORIZED", w.take());
}

static std::optional<std::string_view> param(const url::parameters& p, std::string_view name)
{
    for (const auto& [k, v] : p)
        if (k == name)
            return std::string_view(v);
    return std::nullopt;
}

server::response html_page(int status, std::string_view title, std::string_view body_html)
{
    auto html = fmt::format(R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{0}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #313338; color: #dbdee1; display: flex; justify-content: center; padding: 4rem 1rem; }}
main {{ background: #2b2d31; border-radius: 8px; padding: 2rem; max-width: 28rem; width: 100%; }}
h1 {{ font-size: 1.25rem; color: #f2f3f5; }} ul {{ padding-left: 1.2rem; }} code {{ color: #f2f3f5; }}
.actions {{ display: flex; gap: 1rem; margin-top: 1.5rem; }}
button {{ flex: 1; padding: .7rem; border: 0; border-radius: 4px; font-size: 1rem; cursor: pointer; }}
button[value=approve] {{ background: #5865f2; color: white; }} button[value=cancel] {{ background: #4e5058; color: white; }}
button[value=remove] {{ background: #da373c; color: white; }}
.note {{ font-size: .8rem; color: #949ba4; }} a {{ color: #00a8fc; }}
</style></head><body><main>{1}</main></body></html>
)",
                            html::escape(title), body_html);
    return server::response::page(status, std::move(html));
}

const user* signed_in_user(const emulator::impl& e, const server::request& req, const url::parameters& params)
{
    std::optional<std::string_view> chosen = param(params, "emulator_user");
    if (!chosen)
        if (auto cookie = req.fields.find("cookie")) {
            auto at = cookie->find("emulator_user=");
            if (at != std::string_view::npos) {
                auto rest = cookie->substr(at + 14);
                chosen = rest.substr(0, rest.find(';'));
            }
        }
    if (chosen)
        if (auto id = parse_snowflake(*chosen))
            if (auto* u = e.find_user(*id); u && !u->bot)
                return u;
    for (const auto& u : e.world.users)
        if (!u.bot)
            return &u;
    return nullptr;
}

namespace {

using server::request;
using server::response;

struct authorize_request {
    const application* app = nullptr;
    std::string redirect_uri;
    std::string response_type;
    std::vector<std::string> scopes;
    std::optional<std::string> state;
    std::string prompt;
    std::optional<std::string> code_challenge;
    std::optional<std::string> nonce; // OpenID Connect
    std::optional<snowflake> guild_id;
    std::string permissions;
    bool disable_guild_select = false;
    std::optional<int> integration_type; // 0 guild, 1 user install
    const user* signed_in = nullptr;
    url::parameters original; // echoed into the consent form
};



// application/x-www-form-urlencoded, with '+' for spaces, as Discord's redirects are.
std::string form_encode(const url::parameters& params)
{
    auto out = url::encode_query(params);
    std::string result;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out.compare(i, 3, "%20") == 0) {
            result += '+';
            i += 2;
        } else {
            result += out[i];
        }
    }
    return result;
}

response error_page(std::string_view message)
{
    return html_page(400, "Authorization error",
                fmt::format("<h1>Something went wrong</h1><p>{}</p>", html::escape(message)));
}

response redirect(std::string location)
{
    response r;
    r.status = 302;
    r.fields.add("Location", std::move(location));
    r.fields.add("Cache-Control", "no-store");
    return r;
}

std::string append(const std::string& uri, char separator, const url::parameters& params)
{
    if (separator == '?' && uri.find('?') != std::string::npos)
        separator = '&';
    return uri + separator + form_encode(params);
}

// Redirects with an error after the redirect URI is known to be the application's.
response redirect_error(const emulator::impl& e, const authorize_request& a, std::string_view error,
                        std::string_view description)
{
    url::parameters p{{"error", std::string(error)}};
    if (!description.empty())
        p.emplace_back("error_description", std::string(description));
    if (a.state)
        p.emplace_back("state", *a.state);
    p.emplace_back("iss", e.base_url());
    return redirect(append(a.redirect_uri, a.response_type == "token" ? '#' : '?', p));
}

// Checks every parameter. Before the redirect URI is known to be registered, errors are a page
// (redirecting would make the emulator an open redirector); after, they go back to the client.
std::variant<authorize_request, response> validate(emulator::impl& e, const request& req, url::parameters params)
{
    authorize_request a;
    auto id = parse_snowflake(param(params, "client_id").value_or(""));
    a.app = id ? e.find_application(*id) : nullptr;
    if (!a.app)
        return error_page("Unknown application: check client_id.");
    auto redirect_uri = param(params, "redirect_uri");
    if (!redirect_uri) {
        if (a.app->redirect_uris.size() != 1)
            return error_page("Missing redirect_uri.");
        redirect_uri = a.app->redirect_uris.front();
    }
    bool registered = false;
    for (const auto& uri : a.app->redirect_uris)
        registered = registered || uri == *redirect_uri;
    if (!registered)
        return error_page("Invalid OAuth2 redirect_uri: it must match one registered for the application exactly.");
    a.redirect_uri = std::string(*redirect_uri);
    if (auto s = param(params, "state"))
        a.state = std::string(*s);
    a.response_type = std::string(param(params, "response_type").value_or(""));
    if (a.response_type != "code" && a.response_type != "token") {
        a.response_type = "code";
        return redirect_error(e, a, "unsupported_response_type", "The response type is not supported");
    }
    a.scopes = split_scopes(param(params, "scope").value_or(""));
    if (a.scopes.empty())
        return redirect_error(e, a, "invalid_scope", "The requested scope is invalid, unknown, or malformed.");
    for (const auto& s : a.scopes)
        if (!is_known_scope(s) || s == "applications.commands.update")
            return redirect_error(e, a, "invalid_scope", "The requested scope is invalid, unknown, or malformed.");
    a.prompt = std::string(param(params, "prompt").value_or("consent"));
    if (a.prompt != "consent" && a.prompt != "none")
        return redirect_error(e, a, "invalid_request", "Invalid \"prompt\"");
    if (auto it = param(params, "integration_type")) {
        if (*it != "0" && *it != "1")
            return redirect_error(e, a, "invalid_request", "Invalid \"integration_type\"");
        a.integration_type = *it == "1" ? 1 : 0;
    }

    auto challenge = param(params, "code_challenge");
    auto method = param(params, "code_challenge_method");
    if (challenge || method) {
        if (!method || *method != "S256")
            return redirect_error(e, a, "invalid_request", "Unsupported \"code_challenge_method\"");
        if (!challenge || challenge->size() != 43)
            return redirect_error(e, a, "invalid_request", "Invalid \"code_challenge\"");
        if (has_scope(a.scopes, "role_connections.write"))
            return redirect_error(e, a, "invalid_scope", "PKCE is not supported with role_connections.write");
        a.code_challenge = std::string(*challenge);
    } else if (a.app->public_client && a.response_type == "code") {
        return redirect_error(e, a, "invalid_request", "Missing \"code_challenge\": public clients must use PKCE");
    }

    if (auto n = param(params, "nonce"))
        a.nonce = std::string(*n);

    if (auto g = param(params, "guild_id")) {
        a.guild_id = parse_snowflake(*g);
        if (!a.guild_id)
            return redirect_error(e, a, "invalid_request", "Invalid \"guild_id\"");
    }
    if (auto p = param(params, "permissions")) {
        if (p->empty() || p->find_first_not_of("0123456789") != std::string_view::npos)
            return redirect_error(e, a, "invalid_request", "Invalid \"permissions\"");
        a.permissions = std::string(*p);
    }
    a.disable_guild_select = param(params, "disable_guild_select").value_or("false") == "true";
    a.signed_in = signed_in_user(e, req, params);
    if (!a.signed_in)
        return error_page("The emulator has no user to sign in.");
    a.original = std::move(params);
    return a;
}

bool needs_guild(const authorize_request& a)
{
    return has_scope(a.scopes, "bot") || has_scope(a.scopes, "webhook.incoming");
}

void announce(emulator::impl& e, const authorize_request& a)
{
    announce_authorized(e, *a.app, *a.signed_in, a.scopes, a.integration_type, a.guild_id);
}

response approve(emulator::impl& e, authorize_request& a)
{
    if (needs_guild(a)) {
        if (!a.guild_id)
            for (const auto& g : e.world.guilds)
                if (g.members.contains(a.signed_in->id)) {
                    a.guild_id = g.id;
                    break;
                }
        auto* g = a.guild_id ? e.find_guild(*a.guild_id) : nullptr;
        if (!g || !g->members.contains(a.signed_in->id))
            return redirect_error(e, a, "invalid_request", "Invalid \"guild_id\": the user is not in that guild");
    }
    url::parameters p;
    if (a.response_type == "token") {
        grant g;
        g.application_id = a.app->id;
        g.user_id = a.signed_in->id;
        g.scopes = a.scopes;
        g.expires_at = e.now() + e.opts.token_ttl;
        const auto& created = e.book.create(std::move(g), false); // implicit grants get no refresh token
        p = {{"access_token", created.access_token},
             {"token_type", "Bearer"},
             {"expires_in", std::to_string(e.opts.token_ttl.count())},
             {"scope", join_scopes(a.scopes)}};
        if (a.state)
            p.emplace_back("state", *a.state);
        announce(e, a);
        return redirect(append(a.redirect_uri, '#', p));
    }
    authorization_code code;
    code.application_id = a.app->id;
    code.user_id = a.signed_in->id;
    code.redirect_uri = a.redirect_uri;
    code.scopes = a.scopes;
    code.code_challenge = a.code_challenge;
    code.nonce = a.nonce;
    code.guild_id = a.guild_id;
    code.permissions = a.permissions;
    code.expires_at = e.now() + e.opts.code_ttl;
    p.emplace_back("code", e.book.issue_code(std::move(code)));
    if (a.state)
        p.emplace_back("state", *a.state);
    if (has_scope(a.scopes, "bot") && a.guild_id) {
        p.emplace_back("guild_id", to_string(*a.guild_id));
        p.emplace_back("permissions", a.permissions.empty() ? "0" : a.permissions);
    }
    p.emplace_back("iss", e.base_url());
    announce(e, a);
    return redirect(append(a.redirect_uri, '?', p));
}

bool already_granted(const emulator::impl& e, const authorize_request& a)
{
    for (const auto& [id, g] : e.book.grants()) {
        if (g.application_id != a.app->id || g.user_id != a.signed_in->id || g.expires_at <= e.now())
            continue;
        bool covers = true;
        for (const auto& s : a.scopes)
            covers = covers && has_scope(g.scopes, s);
        if (covers)
            return true;
    }
    return false;
}

response consent_page(const emulator::impl& e, const authorize_request& a)
{
    std::string hidden;
    for (const auto& [k, v] : a.original)
        if (k != "emulator_user" && k != "guild_id")
            hidden += fmt::format(R"(<input type="hidden" name="{}" value="{}">)", html::escape(k), html::escape(v));
    hidden += fmt::format(R"(<input type="hidden" name="emulator_user" value="{}">)", a.signed_in->id);

    std::string scopes;
    for (const auto& s : a.scopes)
        scopes += fmt::format("<li><code>{}</code></li>", html::escape(s));

    std::string guild_select;
    if (needs_guild(a)) {
        guild_select = R"(<p><label for="guild_id">Add to server:</label> <select id="guild_id" name="guild_id">)";
        for (const auto& g : e.world.guilds) {
            if (!g.members.contains(a.signed_in->id))
                continue;
            if (a.disable_guild_select && a.guild_id && *a.guild_id != g.id)
                continue;
            bool selected = a.guild_id && *a.guild_id == g.id;
            guild_select += fmt::format(R"(<option value="{}"{}>{}</option>)", g.id, selected ? " selected" : "",
                                        html::escape(g.name));
        }
        guild_select += "</select></p>";
    }

    std::string switch_user;
    for (const auto& u : e.world.users) {
        if (u.bot || u.id == a.signed_in->id)
            continue;
        auto params = a.original;
        std::erase_if(params, [](const auto& kv) { return kv.first == "emulator_user"; });
        params.emplace_back("emulator_user", to_string(u.id));
        switch_user += fmt::format(R"( <a href="/oauth2/authorize?{}">{}</a>)",
                                   html::escape(url::encode_query(params)), html::escape(u.username));
    }

    auto name = a.signed_in->global_name.value_or(a.signed_in->username);
    auto body = fmt::format(
        R"(<h1>{app} wants to access your account</h1>
<p>Signed in as <strong>{user}</strong> (@{username}).</p>
<p>This will allow the developer of {app} to:</p><ul>{scopes}</ul>
<form method="post" action="/oauth2/authorize">{hidden}{guild_select}
<div class="actions"><button type="submit" name="decision" value="cancel">Cancel</button>
<button type="submit" name="decision" value="approve">Authorize</button></div></form>
<p class="note">Discord OAuth2 emulator. Not you? Sign in as:{switch_user}</p>)",
        fmt::arg("app", html::escape(a.app->name)), fmt::arg("user", html::escape(name)),
        fmt::arg("username", html::escape(a.signed_in->username)), fmt::arg("scopes", scopes),
        fmt::arg("hidden", hidden), fmt::arg("guild_select", guild_select), fmt::arg("switch_user", switch_user));
    auto r = html_page(200, "Authorize " + a.app->name, body);
    r.fields.add("Set-Cookie", fmt::format("emulator_user={}; Path=/; HttpOnly; SameSite=Lax", a.signed_in->id));
    return r;
}

asio::awaitable<response> authorize_get(emulator::impl& e, request& req)
{
    auto result = validate(e, req, req.query);
    if (auto* r = std::get_if<response>(&result))
        co_return std::move(*r);
    auto& a = std::get<authorize_request>(result);
    if (e.opts.auto_approve) {
        if (e.opts.auto_approve_user)
            a.signed_in = e.find_user(*e.opts.auto_approve_user);
        co_return approve(e, a);
    }
    if (a.prompt == "none" && !needs_guild(a) && already_granted(e, a))
        co_return approve(e, a);
    co_return consent_page(e, a);
}

asio::awaitable<response> authorize_post(emulator::impl& e, request& req)
{
    if (!req.fields.find("content-type").value_or("").starts_with("application/x-www-form-urlencoded"))
        co_return error_page("The consent form must be posted as a form.");
    auto form = url::parse_query(req.body);
    if (!form)
        co_return error_page("Malformed form.");
    auto decision = std::string(param(*form, "decision").value_or(""));
    auto result = validate(e, req, *form);
    if (auto* r = std::get_if<response>(&result))
        co_return std::move(*r);
    auto& a = std::get<authorize_request>(result);
    if (decision == "approve")
        co_return approve(e, a);
    if (decision == "cancel")
        co_return redirect_error(e, a, "access_denied", "The resource owner or authorization server denied the request");
    co_return error_page("Choose Authorize or Cancel.");
}

} // namespace

void add_authorize_routes(emulator::impl& e, server::router& r)
{
    for (auto path : {"/oauth2/authorize", "/api/oauth2/authorize", "/api/v10/oauth2/authorize"}) {
        e.route(r, "GET", path, [&e](request& req) { return authorize_get(e, req); });
        e.route(r, "POST", path, [&e](request& req) { return authorize_post(e, req); });
    }
}

} // namespace discord::oauth2::emulator
