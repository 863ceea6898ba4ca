// Discord's JSON into the library's models, with simdjson On-Demand, reading the response body
// in place (its buffer carries simdjson's padding). Unknown fields are skipped, nulls accepted
// where Discord's OpenAPI document allows them; malformed JSON, a wrong type or a missing required
// field throws `error` (invalid_response) naming the field (docs/client.md, Models).
#pragma once

#include "http/padded_buffer.hpp"

#include <discord/oauth2/api_error.hpp>
#include <discord/oauth2/application.hpp>
#include <discord/oauth2/channel.hpp>
#include <discord/oauth2/command_permissions.hpp>
#include <discord/oauth2/device_authorization.hpp>
#include <discord/oauth2/guild.hpp>
#include <discord/oauth2/openid.hpp>
#include <discord/oauth2/token.hpp>
#include <discord/oauth2/user.hpp>

#include <chrono>
#include <string_view>
#include <vector>

namespace discord::oauth2::json {

application decode_application(const http::padded_buffer& body);
user decode_user(const http::padded_buffer& body);
guild_command_permissions decode_guild_command_permissions(const http::padded_buffer& body);
std::vector<guild_command_permissions> decode_guild_command_permissions_list(const http::padded_buffer& body);
/// A PUT body of command permissions, {"permissions": [...]} (other fields ignored, so what
/// GET answers reads too): for the command line's files.
std::vector<command_permission> decode_command_permissions_body(const http::padded_buffer& body);
/// A DM or group DM (a group DM must carry name, icon and owner_id, as the spec requires).
private_channel decode_private_channel(const http::padded_buffer& body);
std::vector<connection> decode_connections(const http::padded_buffer& body);
partial_guild decode_partial_guild(const http::padded_buffer& body);
std::vector<partial_guild> decode_partial_guilds(const http::padded_buffer& body);
guild_member decode_guild_member(const http::padded_buffer& body);
guild decode_guild(const http::padded_buffer& body);
authorization_info decode_authorization_info(const http::padded_buffer& body);
role_connection decode_role_connection(const http::padded_buffer& body);
/// An application's role connection metadata records (null is an empty list, as the spec allows).
std::vector<role_connection_metadata> decode_role_connection_metadata(const http::padded_buffer& body);
/// `received` is when the response arrived: the token's expiry is counted from it.
access_token decode_access_token(const http::padded_buffer& body, std::chrono::system_clock::time_point received);
oauth_error_body decode_oauth_error(const http::padded_buffer& body);
api_error_body decode_api_error(const http::padded_buffer& body);
rate_limit_body decode_rate_limit(const http::padded_buffer& body);

/// The parts of RFC 8414 authorization server metadata the client uses.
struct issuer_metadata {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string revocation_endpoint;
    std::string device_authorization_endpoint; ///< RFC 8628 §4
    std::string jwks_uri;          ///< OpenID Connect Discovery: the ID tokens' keys
    std::string userinfo_endpoint; ///< OpenID Connect Discovery
};

/// A JWS protected header (RFC 7515 §4): the members the verifier reads. A header with `crit`
/// is refused (no extension is understood here), as RFC 7515 §4.1.11 requires.
struct jose_header {
    std::string alg;
    std::optional<std::string> kid;
    std::optional<std::string> typ;
};
jose_header decode_jose_header(const http::padded_buffer& body);

/// One JWK of a JWKS (RFC 7517), its members as text (base64url where binary).
struct jwk {
    std::string kty;
    std::optional<std::string> kid, alg, use, crv, n, e, x, y;
};
/// A JWK Set, {"keys": [...]}; keys of unknown types are kept (the verifier skips them).
std::vector<jwk> decode_jwks(const http::padded_buffer& body);
/// An ID token's payload (iss, sub, aud, exp and iat required; aud a string or an array).
id_token_claims decode_id_token_claims(const http::padded_buffer& body);
/// GET /oauth2/userinfo's answer (sub required).
openid_userinfo decode_openid_userinfo(const http::padded_buffer& body);
issuer_metadata decode_issuer_metadata(const http::padded_buffer& body);
/// The device authorization response (RFC 8628 §3.2); `requested` are the scopes asked for.
device_authorization decode_device_authorization(const http::padded_buffer& body,
                                                 std::chrono::system_clock::time_point received);

/// "2021-01-23T02:33:17.017000+00:00" (any offset, optional fraction) -> time point; nullopt if malformed.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

} // namespace discord::oauth2::json
