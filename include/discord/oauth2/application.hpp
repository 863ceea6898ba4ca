// An application, what a grant authorizes (/oauth2/@me), webhooks, and role connections.
//
// How the models read Discord's answers (the same in every model header): a std::optional member
// is a field Discord may leave out or send as null, and is empty then; every other member is a
// field Discord always sends, and an answer without it fails with errc::invalid_response naming
// the field (defaults are only for members Discord's documented examples leave out, such as
// `flags`). Unknown fields are ignored and unknown enum or flag values are kept as they came.
#pragma once

#include <discord/oauth2/secret.hpp>
#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/user.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

struct application {
    snowflake id;
    std::string name;
    std::optional<std::string> icon;
    std::string description;
    std::optional<bool> hook;
    std::optional<bool> bot_public;
    std::optional<bool> bot_require_code_grant;
    std::string verify_key;
    std::optional<std::uint64_t> flags;
};

/// GET /oauth2/@me.
struct authorization_info {
    oauth2::application application;
    std::vector<std::string> scopes;
    std::chrono::system_clock::time_point expires;
    std::optional<oauth2::user> user; ///< only with the `identify` scope
};

/// The webhook of the `webhook.incoming` flow. Its token and URL let anyone post: secrets.
struct webhook {
    snowflake id;
    int type = 1;
    std::optional<snowflake> guild_id;
    std::optional<snowflake> channel_id;
    std::optional<std::string> name;
    std::optional<std::string> avatar;
    std::optional<snowflake> application_id;
    secret token;
    secret url;
};

/// The user's role connection for an application (`role_connections.write`).
struct role_connection {
    std::optional<std::string> platform_name;     ///< at most 50 characters
    std::optional<std::string> platform_username; ///< at most 100 characters
    std::map<std::string, std::string> metadata;  ///< at most 5 keys of [a-z0-9_]{1,50}, values 100
};

} // namespace discord::oauth2
