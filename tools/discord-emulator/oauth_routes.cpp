// The token and revocation endpoints and the issuer metadata (docs/discord.md).
#include "emulator_impl.hpp"

#include "core/base64.hpp"
#include "core/url_encoding.hpp"

#include <discord/oauth2/client.hpp>

#include <openssl/crypto.h>

#include <fmt/format.h>

namespace discord::oauth2::emulator {

std::optional<std::string_view> form_value(const url::parameters& form, std::string_view name)
{
    for (const auto& [k, v] : form)
        if (k == name)
            return std::string_view(v);
    return std::nullopt;
}

namespace {

bool equal_secret(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

// The form body, or the answer Discord gives to anything else (a JSON body reads as no grant).
std::variant<url::parameters, server::response> read_form(const server::request& req)
{
    auto type = req.fields.find("content-type").value_or("");
    if (!type.starts_with("application/x-www-form-urlencoded"))
        return oauth_error(400, "unsupported_grant_type", "Grant type None is not supported");
    auto form = url::parse_query(req.body);
    if (!form)
        return oauth_error(400, "invalid_request", "Malformed form body");
    return std::move(*form);
}

// HTTP Basic or client_id/client_secret in the body; public clients send only client_id.
std::variant<const application*, server::response> authenticate_client(const emulator::impl& e, const server::request& req,
                                                                const url::parameters& form)
{
    std::string id_text;
    std::optional<std::string> secret;
    if (auto auth = req.fields.find("authorization"); auth && auth->starts_with("Basic ")) {
        auto decoded = base64::decode(auth->substr(6));
        auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (colon == std::string::npos)
            return oauth_error(401, "invalid_client");
        id_text = decoded->substr(0, colon);
        secret = decoded->substr(colon + 1);
    } else {
        id_text = std::string(form_value(form, "client_id").value_or(""));
        if (auto s = form_value(form, "client_secret"))
            secret = std::string(*s);
    }
    auto id = parse_snowflake(id_text);
    const application* app = id ? e.find_application(*id) : nullptr;
    if (!app)
        return oauth_error(401, "invalid_client");
    if (app->public_client) {
        if (secret && !secret->empty())
            return oauth_error(401, "invalid_client");
    } else if (!secret || !equal_secret(*secret, app->client_secret)) {
        return oauth_error(401, "invalid_client");
    }
    return app;
}

void write_issuer_endpoints(json::writer& w, const std::string& base)
{
    w.field("issuer", base)
        .field("authorization_endpoint", base + "/oauth2/authorize")
        .field("token_endpoint", base + "/api/oauth2/token")
        .field("revocation_endpoint", base + "/api/oauth2/token/revoke")
        .field("userinfo_endpoint", base + "/api/oauth2/userinfo")
        .field("jwks_uri", base + "/api/oauth2/keys");
}

server::response token_response(emulator::impl& e, const grant& g, const std::optional<std::string>& nonce)
{
    json::writer w;
    w.begin_object()
        .field("token_type", "Bearer")
        .field("access_token", g.access_token)
        .field("expires_in", static_cast<std::int64_t>(e.opts.token_ttl.count()));
    if (!g.refresh_token.empty())
        w.field("refresh_token", g.refresh_token);
    w.field("scope", join_scopes(g.scopes));
    if (has_scope(g.scopes, "webhook.incoming") && g.guild_id) {
        auto webhook_id = g.id + 347114750880120000ULL;
        auto token = random_token(68);
        w.key("webhook").begin_object()
            .field("application_id", to_string(g.application_id))
            .field("name", "emulator webhook")
            .field("url", fmt::format("{}/api/webhooks/{}/{}", e.base_url(), webhook_id, token))
            .field("channel_id", to_string(*g.guild_id + 1))
            .field("token", token)
            .field("type", 1)
            .key("avatar").null()
            .field("guild_id", to_string(*g.guild_id))
            .field("id", to_string(webhook_id))
            .end_object();
    }
    if (has_scope(g.scopes, "bot") && g.guild_id)
        if (auto* gd = e.find_guild(*g.guild_id)) {
            w.key("guild");
            write_full_guild(w, *gd);
        }
    if (has_scope(g.scopes, "openid"))
        w.field("id_token", make_id_token(e, g, nonce));
    w.end_object();
    return json_response(200, w.take());
}

namespace {

using server::request;
using server::response;

const std::string_view api_prefixes[] = {"/api", "/api/v9", "/api/v10"};

bool valid_verifier(std::string_view v)
{
    if (v.size() < 43 || v.size() > 128)
        return false;
    for (unsigned char c : v)
        if (!std::isalnum(c) && c != '-' && c != '.' && c != '_' && c != '~')
            return false;
    return true;
}

response exchange_code(emulator::impl& e, const application& app, const url::parameters& form)
{
    auto code_text = form_value(form, "code");
    if (!code_text)
        return oauth_error(400, "invalid_request", "Missing \"code\" in request.");
    auto code = e.book.redeem_code(std::string(*code_text), e.now());
    if (!code || code->application_id != app.id)
        return oauth_error(400, "invalid_grant", "Invalid \"code\" in request.");
    if (form_value(form, "redirect_uri").value_or("") != code->redirect_uri)
        return oauth_error(400, "invalid_grant", "Invalid \"redirect_uri\" in request.");
    if (code->code_challenge) {
        auto verifier = form_value(form, "code_verifier");
        if (!verifier)
            return oauth_error(400, "invalid_request", "Missing \"code_verifier\"");
        if (!valid_verifier(*verifier))
            return oauth_error(400, "invalid_request", "Invalid \"code_verifier\"");
        if (pkce_challenge(*verifier) != *code->code_challenge)
            return oauth_error(400, "invalid_grant", "Invalid \"code_verifier\"");
    }
    grant g;
    g.application_id = app.id;
    g.user_id = code->user_id;
    g.scopes = code->scopes;
    g.expires_at = e.now() + e.opts.token_ttl;
    g.guild_id = code->guild_id;
    g.permissions = code->permissions;
    if (has_scope(g.scopes, "bot") && g.guild_id)
        if (auto* gd = e.find_guild(*g.guild_id); gd && app.bot_user_id)
            gd->members.try_emplace(app.bot_user_id, member{.permissions = g.permissions.empty() ? "0" : g.permissions,
                                                            .joined_at = iso8601(e.now())});
    return token_response(e, e.book.create(std::move(g), true), code->nonce);
}

response refresh(emulator::impl& e, const application& app, const url::parameters& form)
{
    auto token = form_value(form, "refresh_token");
    if (!token)
        return oauth_error(400, "invalid_request", "Missing \"refresh_token\" in request.");
    auto* g = e.book.refresh(std::string(*token), app.id, e.opts.token_ttl, e.now());
    if (!g)
        return oauth_error(400, "invalid_grant", "Invalid \"refresh_token\" in request");
    return token_response(e, *g);
}

response client_credentials(emulator::impl& e, const application& app, const url::parameters& form)
{
    if (app.public_client)
        return oauth_error(401, "invalid_client");
    auto scopes = split_scopes(form_value(form, "scope").value_or(""));
    if (scopes.empty())
        return oauth_error(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.");
    for (const auto& s : scopes)
        if (!is_known_scope(s) || s == "bot" || s == "webhook.incoming")
            return oauth_error(400, "invalid_scope", "The requested scope is invalid, unknown, or malformed.");
    grant g;
    g.application_id = app.id;
    g.user_id = app.owner_id; // the token acts as the application's owner
    g.scopes = std::move(scopes);
    g.expires_at = e.now() + e.opts.token_ttl;
    return token_response(e, e.book.create(std::move(g), false));
}

asio::awaitable<response> token_endpoint(emulator::impl& e, request& req)
{
    auto parsed = read_form(req);
    if (auto* r = std::get_if<response>(&parsed))
        co_return std::move(*r);
    auto& form = std::get<url::parameters>(parsed);
    auto grant_type = form_value(form, "grant_type");
    if (!grant_type)
        co_return oauth_error(400, "unsupported_grant_type", "Grant type None is not supported");
    auto client = authenticate_client(e, req, form);
    if (auto* r = std::get_if<response>(&client))
        co_return std::move(*r);
    const auto& app = *std::get<const application*>(client);
    if (*grant_type == "authorization_code")
        co_return exchange_code(e, app, form);
    if (*grant_type == "refresh_token")
        co_return refresh(e, app, form);
    if (*grant_type == "client_credentials")
        co_return client_credentials(e, app, form);
    if (*grant_type == "urn:ietf:params:oauth:grant-type:device_code")
        co_return device_token(e, app, form);
    co_return oauth_error(400, "unsupported_grant_type", fmt::format("Grant type {} is not supported", *grant_type));
}

asio::awaitable<response> revoke_endpoint(emulator::impl& e, request& req)
{
    auto parsed = read_form(req);
    if (std::holds_alternative<response>(parsed))
        co_return oauth_error(400, "invalid_request");
    auto& form = std::get<url::parameters>(parsed);
    auto client = authenticate_client(e, req, form);
    if (auto* r = std::get_if<response>(&client))
        co_return std::move(*r);
    const auto& app = *std::get<const application*>(client);
    auto token = form_value(form, "token");
    if (!token)
        co_return oauth_error(400, "invalid_request");
    auto hint = form_value(form, "token_type_hint");
    if (hint && *hint != "access_token" && *hint != "refresh_token")
        co_return oauth_error(400, "unsupported_token_type");
    // Either token ends the whole grant; an unknown or foreign token is still 200 (RFC 7009).
    if (auto* g = e.book.find_by_token(std::string(*token), true, true); g && g->application_id == app.id)
        e.book.revoke(g->id);
    co_return json_response(200, "{}");
}

asio::awaitable<response> metadata(emulator::impl& e, request&)
{
    auto base = e.base_url();
    json::writer w;
    w.begin_object();
    write_issuer_endpoints(w, base);
    w.key("scopes_supported").begin_array();
    for (auto s : {"activities.read", "activities.write", "applications.builds.read", "applications.builds.upload",
                   "applications.commands", "applications.commands.update",
                   "applications.commands.permissions.update", "applications.entitlements",
                   "applications.store.update", "bot", "connections", "dm_channels.read", "email", "gdm.join",
                   "guilds", "guilds.join", "guilds.members.read", "identify", "messages.read", "openid",
                   "relationships.read", "role_connections.write", "rpc", "rpc.activities.write",
                   "rpc.notifications.read", "rpc.voice.read", "rpc.voice.write", "voice", "webhook.incoming"})
        w.value(s);
    w.end_array()
        .key("response_types_supported").begin_array().value("code").value("token").end_array()
        .key("grant_types_supported").begin_array()
        .value("authorization_code").value("refresh_token").value("client_credentials")
        .value("urn:ietf:params:oauth:grant-type:device_code")
        .end_array()
        .field("device_authorization_endpoint", base + "/api/oauth2/device/authorize")
        .key("token_endpoint_auth_methods_supported").begin_array()
        .value("client_secret_basic").value("client_secret_post").value("none")
        .end_array()
        .key("revocation_endpoint_auth_methods_supported").begin_array()
        .value("client_secret_basic").value("client_secret_post").value("none")
        .end_array()
        .key("code_challenge_methods_supported").begin_array().value("S256").end_array()
        .field("authorization_response_iss_parameter_supported", true)
        .end_object();
    co_return json_response(200, w.take());
}

} // namespace

void add_oauth_routes(emulator::impl& e, server::router& r)
{
    e.route(r, "GET", "/.well-known/oauth-authorization-server",
            [&e](request& req) { return metadata(e, req); });
    for (auto prefix : api_prefixes) {
        auto base = std::string(prefix);
        e.route(r, "POST", base + "/oauth2/token", [&e](request& req) { return token_endpoint(e, req); });
        e.route(r, "POST", base + "/oauth2/token/revoke", [&e](request& req) { return revoke_endpoint(e, req); });
    }
}

} // namespace discord::oauth2::emulator
