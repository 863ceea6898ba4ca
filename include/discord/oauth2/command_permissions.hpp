// Who may use an application's slash commands in a guild: the permission overwrites that
// `applications.commands.permissions.update` lets a guild's administrator set through the
// application, with their own Bearer token (Discord refuses the bot token for changing them).
//
// Models read Discord's answers as guild.hpp says: std::optional is a field Discord may leave
// out or send as null; unknown enum values are kept as they came.
#pragma once

#include <discord/oauth2/snowflake.hpp>

#include <cstddef>
#include <vector>

namespace discord::oauth2 {

/// What a command permission names (Discord's APPLICATION_COMMAND_PERMISSION_TYPE).
enum class command_permission_type : int {
    role = 1,    ///< a role of the guild (everyone_role_id for "@everyone")
    user = 2,    ///< a member of the guild
    channel = 3, ///< a channel of the guild (all_channels_id for every channel)
};

/// One overwrite: allow (`permission` true) or deny the command for a role, user or channel.
struct command_permission {
    snowflake id{};                                             ///< the role, user or channel
    command_permission_type type = command_permission_type::role; ///< which of the three `id` is
    bool permission = false;                                  ///< true allows, false denies
};

/// The overwrites of one command in one guild. A set whose `id` is the application's id holds
/// the application-wide overwrites (every command of the application in that guild).
struct guild_command_permissions {
    snowflake id;             ///< the command's id, or the application's id for application-wide
    snowflake application_id; ///< the application the command belongs to
    snowflake guild_id;       ///< the guild the overwrites apply in
    std::vector<command_permission> permissions; ///< the overwrites (at most 100)
};

/// Discord's limit on overwrites per command and guild; edit_command_permissions refuses more.
inline constexpr std::size_t max_command_permissions = 100;

/// The id that means "@everyone" in a role overwrite: the guild's own id.
[[nodiscard]] constexpr snowflake everyone_role_id(snowflake guild_id) noexcept
{
    return guild_id;
}

/// The id that means "every channel" in a channel overwrite: the guild's id minus one.
[[nodiscard]] constexpr snowflake all_channels_id(snowflake guild_id) noexcept
{
    return snowflake(guild_id.value() - 1);
}

} // namespace discord::oauth2
