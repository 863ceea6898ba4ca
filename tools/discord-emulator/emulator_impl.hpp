// The emulator's shared state and the helpers its routes use. Private to tools/discord-emulator.
#pragma once

#include "emulator.hpp"
#include "core/jws.hpp"
#include "core/url_encoding.hpp"
#include "json/writer.hpp"
#include "server/server.hpp"
#include "tls/self_signed_certificate.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <variant>

namespace discord::oauth2::emulator {

struct emulator::impl {
    impl(asio::any_io_executor executor, options o);

    asio::any_io_executor executor;
    options opts;
    world_data world;
    grant_book book;
    std::optional<tls::certificate_files> certificate;
    std::unique_ptr<server::server> http;
    std::unordered_map<std::string, std::uint64_t> call_counts;
    /// Device authorizations (RFC 8628) by device code, and their user codes.
    std::unordered_map<std::string, device_request> devices;
    std::unordered_map<std::string, std::string> device_by_user_code;
    /// (application, user) -> the user's role connection for that application.
    std::map<std::pair<snowflake, snowflake>, role_connection> role_connections;

    /// (application, guild, command) -> the command's permission overwrites in that guild.
    std::map<std::tuple<snowflake, snowflake, snowflake>, std::vector<command_permission_record>> command_permissions;
    /// The DMs and group DMs applications made with their bot tokens, by id.
    std::map<snowflake, private_channel> channels;
    std::uint64_t snowflake_increment = 0;
    /// The keys that sign ID tokens, the newest signing; older ones stay in the JWKS after a
    /// rotation. Made on first use (an RSA key takes a while to make).
    struct id_token_key {
        std::string kid;
        std::shared_ptr<const jws::signing_key> key;
    };
    std::vector<id_token_key> id_token_keys;
    /// The current signing key, made if there is none yet.
    const id_token_key& current_id_token_key();
    /// A new signing key (POST /_emulator/jwks/rotate); the old one stays published.
    void rotate_id_token_key();
    std::unique_ptr<event_deliveries> events;

    rate_limiter limiter;
    std::mt19937_64 random{std::random_device{}()}; // for faults with a probability
    std::uint64_t invalid_requests = 0;

    /// Registers `h` for `method` on `pattern`, counting its calls.
    void route(server::router& r, const std::string& method, const std::string& pattern, server::handler h);
    /// The same for an API route: rate limited in `bucket`, with X-RateLimit-* headers, and its
    /// 401, 403 and 429 answers counted as invalid requests.
    void api_route(server::router& r, const std::string& method, const std::string& pattern, std::string bucket,
                   server::handler h);

    const application* find_application(snowflake id) const;
    application* find_application(snowflake id);
    const user* find_user(snowflake id) const;
    guild* find_guild(snowflake id);
    clock::time_point now() const { return clock::now(); }
    /// A new id as Discord makes them: milliseconds since 2015 above a 12-bit increment.
    snowflake new_snowflake();
    [[nodiscard]] std::string base_url() const;
};

void add_oauth_routes(emulator::impl& e, server::router& r);
/// PUT /guilds/{guild}/members/{user} with the application's bot token.
void add_guild_join_routes(emulator::impl& e, server::router& r);
/// GET and PATCH /applications/@me and GET /oauth2/applications/@me (bot token).
void add_application_routes(emulator::impl& e, server::router& r);
/// GET and PUT /applications/{application}/guilds/{guild}/commands[/{command}]/permissions.
void add_command_permission_routes(emulator::impl& e, server::router& r);
/// POST /users/@me/channels and PUT /channels/{channel}/recipients/{user} (bot token, gdm.join).
void add_group_dm_routes(emulator::impl& e, server::router& r);
/// A private channel as Discord's PrivateChannelResponse or PrivateGroupChannelResponse.
void write_private_channel(json::writer& w, const emulator::impl& e, const private_channel& c);
/// The application whose bot token the request carries ("Authorization: Bot TOKEN"), or nullptr.
application* bot_application(emulator::impl& e, const server::request& req);
/// /_emulator/state, /_emulator/reset and /_emulator/faults.
void add_introspection_routes(emulator::impl& e, emulator& owner, server::router& r);
/// APPLICATION_AUTHORIZED, sent when a user authorizes (before the code is exchanged, as at
/// Discord): who, which scopes, the integration type (0 for a bot when not given) and the guild.
void announce_authorized(emulator::impl& e, const application& app, const user& who, const std::vector<std::string>& scopes,
                         std::optional<int> integration_type, std::optional<snowflake> guild_id);
/// POST /oauth2/device/authorize and the /activate page where the signed-in user enters a
/// device's code (RFC 8628).
void add_device_routes(emulator::impl& e, server::router& r);
/// The token endpoint's grant_type urn:ietf:params:oauth:grant-type:device_code.
server::response device_token(emulator::impl& e, const application& app, const url::parameters& form);
/// A token endpoint's answer for a new or refreshed grant, as Discord writes it; with the openid
/// scope it carries an ID token with `nonce` when the authorization request had one.
server::response token_response(emulator::impl& e, const grant& g, const std::optional<std::string>& nonce = std::nullopt);
/// The endpoint members both metadata documents share: issuer, authorize, token, revocation,
/// userinfo and JWKS URLs under `base`.
void write_issuer_endpoints(json::writer& w, const std::string& base);
/// A signed ID token for the grant's user (OpenID Connect Core §2).
std::string make_id_token(emulator::impl& e, const grant& g, const std::optional<std::string>& nonce);
/// GET /.well-known/openid-configuration, the JWKS at /api/oauth2/keys, /api/oauth2/userinfo and
/// POST /_emulator/jwks/rotate.
void add_openid_routes(emulator::impl& e, server::router& r);
/// The token endpoints' form body, or the answer Discord gives to anything else.
std::variant<url::parameters, server::response> read_form(const server::request& req);
/// The client a token endpoint request authenticates as (HTTP Basic, or the form's client_id and
/// client_secret; public clients send only client_id), or the invalid_client answer.
std::variant<const application*, server::response> authenticate_client(const emulator::impl& e, const server::request& req,
                                                                       const url::parameters& form);
/// The first value of `name` in a form.
std::optional<std::string_view> form_value(const url::parameters& form, std::string_view name);

/// The user's side of an authorization: the Authorized Apps page and its "Remove" action, and
/// POST /_emulator/users/{id}/deauthorize.
void add_authorized_apps_routes(emulator::impl& e, server::router& r);
/// A form posted to a page of the emulator's site: refused (the page to answer) when another
/// site's Origin sent it, or when it is not a form.
std::variant<url::parameters, server::response> read_site_form(const emulator::impl& e, const server::request& req,
                                                               std::string_view title);
/// Ends every grant of `user` with `app` (all their tokens), forgets the role connection, and
/// sends APPLICATION_DEAUTHORIZED. False when the user had no grant with the application.
bool deauthorize(emulator::impl& e, application& app, const user& u);
/// GET and PUT /applications/{application}/role-connections/metadata (bot token).
void add_role_metadata_routes(emulator::impl& e, server::router& r);
/// GET/PUT/DELETE /users/@me/applications/{application}/role-connection.
void add_role_connection_routes(emulator::impl& e, server::router& r);
void add_api_routes(emulator::impl& e, server::router& r);
/// The consent page (GET) and its form's answer (POST) of /oauth2/authorize.
void add_authorize_routes(emulator::impl& e, server::router& r);

/// A page of the emulator's site (the consent page, Authorized Apps), styled like Discord's.
server::response html_page(int status, std::string_view title, std::string_view body_html);
/// Who is signed in to the emulator's site: `emulator_user` in `params`, else the cookie the
/// consent page sets, else the first seeded user who is not a bot.
const user* signed_in_user(const emulator::impl& e, const server::request& req, const url::parameters& params);

// Responses as Discord shapes them.
server::response json_response(int status, std::string body);
/// RFC 6749 §5.2: {"error": ..., "error_description": ...} (no description when empty).
server::response oauth_error(int status, std::string_view error, std::string_view description = {});
/// Discord's API error: {"message": ..., "code": ...}.
server::response api_error(int status, int code, std::string_view message);
server::response unauthorized();
/// Discord's 50035 "Invalid Form Body" with one field's error.
server::response invalid_form_body(std::string_view field, std::string_view code, std::string_view message);
/// The live grant behind "Authorization: Bearer TOKEN", or nullptr.
const grant* bearer_grant(const emulator::impl& e, const server::request& req);

std::string to_string(snowflake id);
/// "2021-01-23T02:33:17.017000+00:00", as Discord writes timestamps.
std::string iso8601(clock::time_point t);

/// Scopes Discord knows (https://discord.com/developers/docs/topics/oauth2#shared-resources-oauth2-scopes).
bool is_known_scope(std::string_view scope);
std::vector<std::string> split_scopes(std::string_view text);
std::string join_scopes(const std::vector<std::string>& scopes);
bool has_scope(const std::vector<std::string>& scopes, std::string_view scope);

// Models as JSON.
void write_user(json::writer& w, const user& u, bool with_email);
void write_application(json::writer& w, const application& a);
/// The application as GET /applications/@me answers (its owner's user object beside it).
void write_private_application(json::writer& w, const application& a, const user* owner);
void write_partial_guild(json::writer& w, const guild& g, snowflake user_id, bool with_counts);
void write_member(json::writer& w, const user& u, const member& m);
void write_connection(json::writer& w, const connection& c);
/// The bot flow's guild object, as in the token response's `guild`.
void write_full_guild(json::writer& w, const guild& g);

} // namespace discord::oauth2::emulator
