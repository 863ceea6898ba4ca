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
    std::optional<std::string> event_webhooks_url{};
    /// 1 to disable webhook events, 2 to enable them.
    std::optional<int> event_webhooks_status{};
    /// The event types to send ("APPLICATION_AUTHORIZED", "APPLICATION_DEAUTHORIZED", ...).
    std::optional<std::vector<std::string>> event_webhooks_types{};
    /// The linked roles verification URL: absolute https (http on loopback); "" for none.
    std::optional<std::string> role_connections_verification_url{};
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
    std::optional<std::string> platform_name{};     ///< at most 50 characters
    std::optional<std::string> platform_username{}; ///< at most 100 characters
    std::map<std::string, std::string> metadata{};  ///< at most 5 keys of [a-z0-9_]{1,50}, values 100
};

/// How a guild compares a user's metadata value with the value a linked role requires
/// (Discord's application role connection metadata types). Values outside 1..8 that Discord may
/// add later are kept as they come.
enum class role_metadata_type : int {
    integer_less_than_or_equal = 1,    ///< the user's integer <= the role's
    integer_greater_than_or_equal = 2, ///< the user's integer >= the role's
    integer_equal = 3,                 ///< the user's integer == the role's
    integer_not_equal = 4,             ///< the user's integer != the role's
    datetime_less_than_or_equal = 5,   ///< the user's ISO 8601 time is at most the role's number of days ago
    datetime_greater_than_or_equal = 6,///< the user's ISO 8601 time is at least the role's number of days ago
    boolean_equal = 7,                 ///< the user's value (1 or 0) equals the role's
    boolean_not_equal = 8,             ///< the user's value (1 or 0) differs from the role's
};

/// One record of an application's role connection metadata: a value its users' role connections
/// may carry under `key`, which guilds use as a linked role's requirement. An application has at
/// most 5; update_role_connection_metadata checks Discord's limits before sending.
struct role_connection_metadata {
    role_metadata_type type = role_metadata_type::integer_greater_than_or_equal; ///< the comparison
    std::string key{};         ///< 1 to 50 of a-z, 0-9 and _, unique among the records
    std::string name{};        ///< 1 to 100 characters, shown to guild admins
    std::string description{}; ///< 1 to 200 characters
    /// Locale ("de", "pt-BR", one of Discord's locales) to name, each 1 to 100 characters.
    std::map<std::string, std::string> name_localizations{};
    /// Locale to description, each 1 to 200 characters.
    std::map<std::string, std::string> description_localizations{};
};

} // namespace discord::oauth2
