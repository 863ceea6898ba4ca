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

/// A guild the user is in, as `GET /users/@me/guilds` lists it (`guilds` scope).
struct partial_guild {
    snowflake id;                        ///< the guild's id
    std::string name;                    ///< its name (2 to 100 characters)
    std::optional<std::string> icon;     ///< icon hash (cdn.discordapp.com/icons/{id}/{hash}.png)
    std::optional<std::string> banner;   ///< banner hash
    bool owner = false;                  ///< the current user owns it
    std::uint64_t permissions = 0;       ///< the current user's permissions (sent as a string)
    std::vector<std::string> features;   ///< Discord's guild features ("COMMUNITY", ...), as text
    std::optional<int> approximate_member_count;   ///< with `with_counts`
    std::optional<int> approximate_presence_count; ///< with `with_counts`
};

/// The user's membership of one guild (`GET /users/@me/guilds/{id}/member`,
/// `guilds.members.read` scope), or the member `PUT /guilds/{id}/members/{user}` added.
struct guild_member {
    std::optional<oauth2::user> user;              ///< the member's user
    std::optional<std::string> nick;               ///< nickname in this guild
    std::optional<std::string> avatar;             ///< guild-specific avatar hash
    std::optional<std::string> banner;             ///< guild-specific banner hash
    std::vector<snowflake> roles;                  ///< ids of the member's roles
    std::optional<std::string> joined_at;          ///< ISO 8601, as Discord sends it
    std::optional<std::string> premium_since;      ///< since when they boost the guild (ISO 8601)
    bool deaf = false;                             ///< deafened in voice channels
    bool mute = false;                             ///< muted in voice channels
    std::uint64_t flags = 0;                       ///< guild member flags (bit field)
    std::optional<bool> pending;                   ///< has not passed membership screening yet
    std::optional<std::uint64_t> permissions;      ///< total permissions in a channel, when sent
    std::optional<std::string> communication_disabled_until; ///< timeout end (ISO 8601), if timed out
};

/// A role of a guild (in the guild of the `bot` scope's token response).
struct role {
    snowflake id;                  ///< the role's id (the guild's id for `@everyone`)
    std::string name;              ///< its name
    std::uint64_t permissions = 0; ///< permission bit set (sent as a string)
    int color = 0;                 ///< RGB colour as an integer; 0 for none
    int position = 0;              ///< position in the role list
    bool hoist = false;            ///< shown separately in the member list
    bool managed = false;          ///< managed by an integration
    bool mentionable = false;      ///< anyone may mention it
};

/// The guild a bot was added to (the token response of the `bot` scope).
struct guild {
    snowflake id;                                ///< the guild's id
    std::string name;                            ///< its name
    std::optional<std::string> icon;             ///< icon hash
    std::optional<std::string> description;      ///< description of a community guild
    std::optional<std::string> banner;           ///< banner hash
    snowflake owner_id;                          ///< the owner's user id
    std::vector<std::string> features;           ///< Discord's guild features, as text
    std::vector<oauth2::role> roles;             ///< every role of the guild
    std::optional<std::string> preferred_locale; ///< the community's locale ("en-US")
    std::optional<int> verification_level;       ///< 0 none to 4 very high
    std::optional<int> premium_tier;             ///< boost level, 0 to 3
    std::optional<int> max_members;              ///< the member limit
};

} // namespace discord::oauth2
