// A Discord user and the accounts they connected
// (https://discord.com/developers/docs/resources/user).
//
// How the models read Discord's answers (the same in every model header): a std::optional member
// is a field Discord may leave out or send as null, and is empty then; every other member is a
// field Discord always sends, and an answer without it fails with errc::invalid_response naming
// the field (defaults are only for members Discord's documented examples leave out, such as
// `flags`). Unknown fields are ignored and unknown enum or flag values are kept as they came.
#pragma once

#include <discord/oauth2/snowflake.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// The decoration drawn around a user's avatar.
struct avatar_decoration {
    std::string asset;               ///< the decoration's asset hash
    std::optional<snowflake> sku_id; ///< null for decorations not sold in the shop
};

/// The server tag a user shows next to their name.
struct primary_guild {
    std::optional<snowflake> identity_guild_id; ///< the guild whose tag it is
    std::optional<bool> identity_enabled;       ///< the user shows it
    std::optional<std::string> tag;             ///< the tag's text (up to 4 characters)
    std::optional<std::string> badge;           ///< the badge's asset hash
};

/// A Discord user: `GET /users/@me` (`identify` scope; `email` adds `email` and `verified`),
/// the user of an authorization (`GET /oauth2/@me`), a member's user.
struct user {
    snowflake id;                            ///< the user's id
    std::string username;                    ///< unique username
    std::string discriminator = "0";         ///< "0" for users on the new username system
    std::optional<std::string> global_name;  ///< display name, when set
    std::optional<std::string> avatar;       ///< avatar hash (cdn.discordapp.com/avatars/{id}/{hash}.png)
    bool bot = false;                        ///< the user is a bot
    bool system = false;                     ///< an official Discord system user
    std::optional<bool> mfa_enabled;         ///< two-factor authentication is on
    std::optional<std::string> banner;       ///< banner hash
    std::optional<std::int32_t> accent_color; ///< banner colour as an integer
    std::optional<std::string> locale;       ///< the user's chosen language ("en-US")
    std::optional<bool> verified;     ///< with the `email` scope
    std::optional<std::string> email; ///< with the `email` scope; may be null
    std::optional<std::uint64_t> flags;      ///< user flags (bit field)
    std::optional<int> premium_type; ///< 0 none, 1 Classic, 2 Nitro, 3 Basic
    std::optional<std::uint64_t> public_flags; ///< the flags shown on the profile
    std::optional<avatar_decoration> avatar_decoration_data; ///< the avatar's decoration
    std::optional<oauth2::primary_guild> primary_guild;      ///< the server tag shown

    /// The name to show: the display name when set, else the username.
    [[nodiscard]] const std::string& display_name() const noexcept { return global_name ? *global_name : username; }
};

/// An account on another service linked to a user (`connections` scope).
struct connection {
    std::string id; ///< the service's id, not a snowflake
    std::optional<std::string> name; ///< the account's name there; Discord may send null
    std::string type; ///< "github", "steam", ... kept as text: Discord adds services
    std::optional<bool> revoked; ///< the connection was revoked
    bool verified = false;       ///< the service verified it
    bool friend_sync = false;    ///< friend sync is on
    bool show_activity = false;  ///< activities from it show in presence
    bool two_way_link = false;   ///< it has a two-way link with the service
    int visibility = 0; ///< 0 only the user, 1 everyone
};

} // namespace discord::oauth2
