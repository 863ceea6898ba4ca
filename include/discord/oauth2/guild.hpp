// Guilds as the OAuth2 endpoints return them: the partial guild of /users/@me/guilds, a guild
// member, and the guild of the bot authorization flow.
//
// How the models read Discord's answers (the same in every model header): a std::optional member
// is a field Discord may leave out or send as null, and is empty then; every other member is a
// field Discord always sends, and an answer without it fails with errc::invalid_response naming
// the field (defaults are only for members Discord's documented examples leave out, such as
// `flags`). Unknown fields are ignored and unknown enum or flag values are kept as they came.
#pragma once

#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/user.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

struct partial_guild {
    snowflake id;
    std::string name;
    std::optional<std::string> icon;
    std::optional<std::string> banner;
    bool owner = false;                  ///< the current user owns it
    std::uint64_t permissions = 0;       ///< the current user's permissions (sent as a string)
    std::vector<std::string> features;
    std::optional<int> approximate_member_count;   ///< with `with_counts`
    std::optional<int> approximate_presence_count; ///< with `with_counts`
};

struct guild_member {
    std::optional<oauth2::user> user;
    std::optional<std::string> nick;
    std::optional<std::string> avatar;
    std::optional<std::string> banner;
    std::vector<snowflake> roles;
    std::optional<std::string> joined_at; ///< ISO 8601, as Discord sends it
    std::optional<std::string> premium_since;
    bool deaf = false;
    bool mute = false;
    std::uint64_t flags = 0;
    std::optional<bool> pending;
    std::optional<std::uint64_t> permissions;
    std::optional<std::string> communication_disabled_until;
};

struct role {
    snowflake id;
    std::string name;
    std::uint64_t permissions = 0;
    int color = 0;
    int position = 0;
    bool hoist = false;
    bool managed = false;
    bool mentionable = false;
};

/// The guild a bot was added to (the token response of the `bot` scope).
struct guild {
    snowflake id;
    std::string name;
    std::optional<std::string> icon;
    std::optional<std::string> description;
    std::optional<std::string> banner;
    snowflake owner_id;
    std::vector<std::string> features;
    std::vector<oauth2::role> roles;
    std::optional<std::string> preferred_locale;
    std::optional<int> verification_level;
    std::optional<int> premium_tier;
    std::optional<int> max_members;
};

} // namespace discord::oauth2
