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

/// An application, as an authorization's information describes it.
struct application {
    snowflake id;                               ///< the application's (client's) id
    std::string name;                           ///< its name
    std::optional<std::string> icon;            ///< icon hash
    std::string description;                    ///< its description
    std::optional<bool> hook;                   ///< it is a webhook-only application
    std::optional<bool> bot_public;             ///< anyone may add its bot
    std::optional<bool> bot_require_code_grant; ///< adding its bot needs the full code grant
    std::string verify_key;                     ///< its Ed25519 public key, hex (for interactions)
    std::optional<std::uint64_t> flags;         ///< application flags (bit field)
    // The application's own settings, which only `GET /applications/@me` answers with
    // (client::get_current_application); empty in an authorization's information.
    std::optional<std::vector<std::string>> redirect_uris;        ///< the registered redirect URIs
    std::optional<std::string> interactions_endpoint_url;         ///< where interactions are sent
    std::optional<std::string> role_connections_verification_url; ///< the linked roles verification URL
    std::optional<std::string> event_webhooks_url;                 ///< where webhook events are sent
    /// Webhook events: 1 disabled, 2 enabled, 3 disabled by Discord (usually for inactivity).
    std::optional<int> event_webhooks_status;
    std::optional<std::vector<std::string>> event_webhooks_types; ///< the event types sent there
};

/// What client::edit_current_application changes (`PATCH /applications/@me`); what is left empty
/// stays as it is.
struct application_changes {
    /// Where webhook events go: an absolute https URL (http on loopback, for tests); "" for none.
    std::optional<std::string> event_webhooks_url;
    /// 1 to disable webhook events, 2 to enable them.
    std::optional<int> event_webhooks_status;
    /// The event types to send ("APPLICATION_AUTHORIZED", "APPLICATION_DEAUTHORIZED", ...).
    std::optional<std::vector<std::string>> event_webhooks_types;
    /// The linked roles verification URL: absolute https (http on loopback); "" for none.
    std::optional<std::string> role_connections_verification_url;
};

/// What an access token authorizes: `GET /oauth2/@me` (client::get_authorization_info).
struct authorization_info {
    oauth2::application application;               ///< the application the token is for
    std::vector<std::string> scopes;               ///< the scopes the user granted
    std::chrono::system_clock::time_point expires; ///< when the access token expires
    std::optional<oauth2::user> user; ///< only with the `identify` scope
};

/// The webhook of the `webhook.incoming` flow. Its token and URL let anyone post: secrets.
struct webhook {
    snowflake id;                            ///< the webhook's id
    int type = 1;                            ///< 1: incoming
    std::optional<snowflake> guild_id;       ///< the guild of its channel
    std::optional<snowflake> channel_id;     ///< the channel it posts to
    std::optional<std::string> name;         ///< its default name
    std::optional<std::string> avatar;       ///< its default avatar hash
    std::optional<snowflake> application_id; ///< the application that made it
    secret token;                            ///< lets anyone post: keep it like a password
    secret url;                              ///< the execute URL, token included: a secret too
};

/// The user's role connection for an application (`role_connections.write`).
struct role_connection {
    std::optional<std::string> platform_name;     ///< at most 50 characters
    std::optional<std::string> platform_username; ///< at most 100 characters
    std::map<std::string, std::string> metadata;  ///< at most 5 keys of [a-z0-9_]{1,50}, values 100
};

} // namespace discord::oauth2
