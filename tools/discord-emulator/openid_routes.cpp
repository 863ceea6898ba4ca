// OpenID Connect as the emulator assumes Discord does it (docs/emulator.md, docs/oidc.md):
//   GET /.well-known/openid-configuration     discovery, issuer = the emulator's base URL
//   GET /api/oauth2/keys                      the JWKS (the keys that signed ID tokens)
//   GET /api/oauth2/userinfo                  Bearer with `openid`: sub, email, names, picture
//   POST /_emulator/jwks/rotate               a new signing key; the old one stays published
// ID tokens are signed with options.id_token_algorithm (RS256, as Discord).
#include "emulator_impl.hpp"

#include "core/base64.hpp"
#include "core/random.hpp"

#include <discord/oauth2/error.hpp>

#include <openssl/sha.h>

#include <fmt/format.h>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;

const std::string_view api_prefixes[] = {"/api", "/api/v9", "/api/v10"};

std::int64_t seconds_since_epoch(clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The claims about `u` both the ID token and userinfo carry (email only with the email scope).
void write_user_claims(json::writer& w, const user& u, const std::vector<std::string>& scopes)
{
    w.field("sub", to_string(u.id)).field("preferred_username", u.username);
    w.key("nickname").value_or_null(u.global_name);
    if (u.avatar)
        w.field("picture", fmt::format("https://cdn.discordapp.com/avatars/{}/{}.png", u.id, *u.avatar));
    w.field("locale", u.locale);
    if (has_scope(scopes, "email"))
        w.field("email", u.email).field("email_verified", u.verified);
}

asio::awaitable<response> configuration(emulator::impl& e, request&)
{
    json::writer w;
    w.begin_object();
    write_issuer_endpoints(w, e.base_url());
    w.key("response_types_supported").begin_array().value("code").value("token").end_array()
        .key("subject_types_supported").begin_array().value("public").end_array()
        .key("id_token_signing_alg_values_supported").begin_array().value(e.opts.id_token_algorithm).end_array()
        .key("scopes_supported").begin_array().value("openid").value("email").value("identify").end_array()
        .key("claims_supported").begin_array();
    for (auto c : {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "email", "email_verified",
                   "preferred_username", "nickname", "picture", "locale"})
        w.value(c);
    w.end_array()
        .key("code_challenge_methods_supported").begin_array().value("S256").end_array()
        .key("token_endpoint_auth_methods_supported").begin_array()
        .value("client_secret_basic").value("client_secret_post").value("none").end_array()
        .end_object();
    co_return json_response(200, w.take());
}

asio::awaitable<response> keys(emulator::impl& e, request&)
{
    e.current_id_token_key();
    json::writer w;
    w.begin_object().key("keys").begin_array();
    for (const auto& k : e.id_token_keys) {
        // The members come from OpenSSL as JSON text; the object is assembled around them.
        w.raw(fmt::format(R"({{"kid":"{}","use":"sig","alg":"{}",{}}})", k.kid, jws::name(k.key->alg()),
                          k.key->public_jwk_members()));
    }
    w.end_array().end_object();
    co_return json_response(200, w.take());
}

asio::awaitable<response> userinfo(emulator::impl& e, request& req)
{
    const auto* g = bearer_grant(e, req);
    if (!g || !has_scope(g->scopes, "openid"))
        co_return unauthorized();
    const auto* u = e.find_user(g->user_id);
    if (!u)
        co_return unauthorized();
    json::writer w;
    w.begin_object();
    write_user_claims(w, *u, g->scopes);
    w.end_object();
    co_return json_response(200, w.take());
}

} // namespace

const emulator::impl::id_token_key& emulator::impl::current_id_token_key()
{
    if (id_token_keys.empty())
        rotate_id_token_key();
    return id_token_keys.back();
}

void emulator::impl::rotate_id_token_key()
{
    auto alg = jws::parse_algorithm(opts.id_token_algorithm);
    if (!alg)
        throw error(errc::invalid_argument, "id_token_algorithm must be RS256, ES256 or EdDSA");
    id_token_keys.push_back({random::url_safe(12), std::make_shared<const jws::signing_key>(*alg)});
}

std::string make_id_token(emulator::impl& e, const grant& g, const std::optional<std::string>& nonce)
{
    const auto& key = e.current_id_token_key();
    json::writer header;
    header.begin_object().field("alg", jws::name(key.key->alg())).field("kid", key.kid).field("typ", "JWT").end_object();

    // at_hash: the left half of SHA-256 of the access token (OpenID Connect Core §3.1.3.6).
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(g.access_token.data()), g.access_token.size(), digest);
    auto now = e.now();
    auto lifetime = std::min<std::chrono::seconds>(e.opts.token_ttl, std::chrono::hours(1));
    json::writer claims;
    claims.begin_object()
        .field("iss", e.base_url())
        .field("aud", to_string(g.application_id))
        .field("exp", seconds_since_epoch(now + lifetime))
        .field("iat", seconds_since_epoch(now))
        .field("at_hash", base64::encode_url(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest / 2)));
    if (nonce)
        claims.field("nonce", *nonce);
    if (const auto* u = e.find_user(g.user_id))
        write_user_claims(claims, *u, g.scopes);
    else
        claims.field("sub", to_string(g.user_id));
    claims.end_object();
    auto input = base64::encode_url(header.take()) + "." + base64::encode_url(claims.take());
    return input + "." + base64::encode_url(key.key->sign(input));
}

void add_openid_routes(emulator::impl& e, server::router& r)
{
    e.route(r, "GET", "/.well-known/openid-configuration", [&e](request& req) { return configuration(e, req); });
    for (auto prefix : api_prefixes) {
        auto base = std::string(prefix);
        e.route(r, "GET", base + "/oauth2/keys", [&e](request& req) { return keys(e, req); });
        e.api_route(r, "GET", base + "/oauth2/userinfo", "userinfo", [&e](request& req) { return userinfo(e, req); });
    }
    e.route(r, "POST", "/_emulator/jwks/rotate", [&e](request&) -> asio::awaitable<response> {
        e.rotate_id_token_key();
        json::writer w;
        w.begin_object().field("kid", e.id_token_keys.back().kid).end_object();
        co_return json_response(200, w.take());
    });
}

} // namespace discord::oauth2::emulator
