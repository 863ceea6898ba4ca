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
};
issuer_metadata decode_issuer_metadata(const http::padded_buffer& body);
/// The device authorization response (RFC 8628 §3.2); `requested` are the scopes asked for.
device_authorization decode_device_authorization(const http::padded_buffer& body,
                                                 std::chrono::system_clock::time_point received);

/// "2021-01-23T02:33:17.017000+00:00" (any offset, optional fraction) -> time point; nullopt if malformed.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

} // namespace discord::oauth2::json
