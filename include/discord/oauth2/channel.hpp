// Private channels as the `gdm.join` endpoints return them: a group DM an application made from
// its users' tokens, or a DM. Models read Discord's answers as guild.hpp says.
#pragma once

#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/user.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace discord::oauth2 {

/// The kind of a private channel (Discord's channel types 1 and 3; others are kept as sent).
enum class channel_type : int {
    dm = 1,       ///< a direct message between two users
    group_dm = 3, ///< a group DM of several users
};

/// A DM or group DM (Discord's PrivateChannelResponse and PrivateGroupChannelResponse).
struct private_channel {
    snowflake id;                                ///< the channel's id
    channel_type type = channel_type::group_dm;  ///< DM or group DM
    std::optional<snowflake> last_message_id;    ///< the newest message, when there is one
    std::uint64_t flags = 0;                     ///< channel flags (bit field)
    std::optional<std::string> last_pin_timestamp; ///< ISO 8601, when a message was pinned
    std::vector<user> recipients;                ///< the users in it, besides the owner
    // Group DMs only (Discord sends them for type 3):
    std::optional<std::string> name;             ///< the group's name, when set
    std::optional<std::string> icon;             ///< icon hash, when set
    std::optional<snowflake> owner_id;           ///< who owns the group
    std::optional<bool> managed;                 ///< made by an application (true for create_group_dm's)
    std::optional<snowflake> application_id;     ///< the application that made it, when one did
};

/// What add_group_dm_recipient did: Discord answers 201 with the channel when it added the user,
/// 204 without a body when they already were in it.
struct group_dm_join {
    bool added = false;                      ///< false: the user was already a recipient
    std::optional<private_channel> channel;  ///< the group DM, when added
};

} // namespace discord::oauth2
