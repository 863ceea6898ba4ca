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

struct avatar_decoration {
    std::string asset;
    std::optional<snowflake> sku_id; ///< null for decorations not sold in the shop
};

/// The server tag a user shows next to their name.
struct primary_guild {
    std::optional<snowflake> identity_guild_id;
    std::optional<bool> identity_enabled;
    std::optional<std::string> tag;
    std::optional<std::string> badge;
};

struct user {
    snowflake id;
    std::string username;
    std::string discriminator = "0"; ///< "0" for users on the new username system
    std::optional<std::string> global_name;
    std::optional<std::string> avatar;
    bool bot = false;
    bool system = false;
    std::optional<bool> mfa_enabled;
    std::optional<std::string> banner;
    std::optional<std::int32_t> accent_color;
    std::optional<std::string> locale;
    std::optional<bool> verified;     ///< with the `email` scope
    std::optional<std::string> email; ///< with the `email` scope; may be null
    std::optional<std::uint64_t> flags;
    std::optional<int> premium_type; ///< 0 none, 1 Classic, 2 Nitro, 3 Basic
    std::optional<std::uint64_t> public_flags;
    std::optional<avatar_decoration> avatar_decoration_data;
    std::optional<oauth2::primary_guild> primary_guild;

    /// The name to show: the display name when set, else the username.
    [[nodiscard]] const std::string& display_name() const noexcept { return global_name ? *global_name : username; }
};

/// An account on another service linked to a user (`connections` scope).
struct connection {
    std::string id; ///< the service's id, not a snowflake
    std::optional<std::string> name; ///< the account's name there; Discord may send null
    std::string type; ///< "github", "steam", ... kept as text: Discord adds services
    std::optional<bool> revoked;
    bool verified = false;
    bool friend_sync = false;
    bool show_activity = false;
    bool two_way_link = false;
    int visibility = 0; ///< 0 only the user, 1 everyone
};

} // namespace discord::oauth2
