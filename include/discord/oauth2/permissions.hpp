// Discord's permission flags by name, for bot invite links (authorization_request::permissions,
// authorization_options::permissions) and for reading partial_guild::permissions:
//
//   request.scopes = {scope::bot, scope::applications_commands};
//   request.permissions = permission::view_channel | permission::send_messages | permission::embed_links;
//
// Each is the bit Discord documents for it (docs/discord.md, "Permissions").
#pragma once

#include <cstdint>

namespace discord::oauth2::permission {

inline constexpr std::uint64_t create_instant_invite = 1ULL << 0;  ///< create invites
inline constexpr std::uint64_t kick_members = 1ULL << 1;           ///< kick members
inline constexpr std::uint64_t ban_members = 1ULL << 2;            ///< ban members
inline constexpr std::uint64_t administrator = 1ULL << 3;          ///< every permission, past channel overwrites
inline constexpr std::uint64_t manage_channels = 1ULL << 4;        ///< edit and delete channels
inline constexpr std::uint64_t manage_guild = 1ULL << 5;           ///< edit the guild
inline constexpr std::uint64_t add_reactions = 1ULL << 6;          ///< add new reactions
inline constexpr std::uint64_t view_audit_log = 1ULL << 7;         ///< read the audit log
inline constexpr std::uint64_t priority_speaker = 1ULL << 8;       ///< priority speaker in voice
inline constexpr std::uint64_t stream = 1ULL << 9;                 ///< stream video
inline constexpr std::uint64_t view_channel = 1ULL << 10;          ///< see channels (read text channels)
inline constexpr std::uint64_t send_messages = 1ULL << 11;         ///< send messages
inline constexpr std::uint64_t send_tts_messages = 1ULL << 12;     ///< send /tts messages
inline constexpr std::uint64_t manage_messages = 1ULL << 13;       ///< delete and pin others' messages
inline constexpr std::uint64_t embed_links = 1ULL << 14;           ///< links show embeds
inline constexpr std::uint64_t attach_files = 1ULL << 15;          ///< upload files
inline constexpr std::uint64_t read_message_history = 1ULL << 16;  ///< read past messages
inline constexpr std::uint64_t mention_everyone = 1ULL << 17;      ///< @everyone, @here and all roles
inline constexpr std::uint64_t use_external_emojis = 1ULL << 18;   ///< emojis of other guilds
inline constexpr std::uint64_t view_guild_insights = 1ULL << 19;   ///< guild insights
inline constexpr std::uint64_t connect = 1ULL << 20;               ///< join voice channels
inline constexpr std::uint64_t speak = 1ULL << 21;                 ///< speak in voice channels
inline constexpr std::uint64_t mute_members = 1ULL << 22;          ///< mute others in voice
inline constexpr std::uint64_t deafen_members = 1ULL << 23;        ///< deafen others in voice
inline constexpr std::uint64_t move_members = 1ULL << 24;          ///< move others between voice channels
inline constexpr std::uint64_t use_vad = 1ULL << 25;               ///< voice activity detection
inline constexpr std::uint64_t change_nickname = 1ULL << 26;       ///< change one's own nickname
inline constexpr std::uint64_t manage_nicknames = 1ULL << 27;      ///< change others' nicknames
inline constexpr std::uint64_t manage_roles = 1ULL << 28;          ///< manage roles below one's own
inline constexpr std::uint64_t manage_webhooks = 1ULL << 29;       ///< manage webhooks
inline constexpr std::uint64_t manage_guild_expressions = 1ULL << 30; ///< edit and delete emojis, stickers, sounds
inline constexpr std::uint64_t use_application_commands = 1ULL << 31; ///< use slash commands
inline constexpr std::uint64_t request_to_speak = 1ULL << 32;      ///< ask to speak in stage channels
inline constexpr std::uint64_t manage_events = 1ULL << 33;         ///< edit and delete scheduled events
inline constexpr std::uint64_t manage_threads = 1ULL << 34;        ///< manage threads
inline constexpr std::uint64_t create_public_threads = 1ULL << 35; ///< create public threads
inline constexpr std::uint64_t create_private_threads = 1ULL << 36; ///< create private threads
inline constexpr std::uint64_t use_external_stickers = 1ULL << 37; ///< stickers of other guilds
inline constexpr std::uint64_t send_messages_in_threads = 1ULL << 38; ///< send messages in threads
inline constexpr std::uint64_t use_embedded_activities = 1ULL << 39; ///< start activities
inline constexpr std::uint64_t moderate_members = 1ULL << 40;      ///< time members out
inline constexpr std::uint64_t view_creator_monetization_analytics = 1ULL << 41; ///< role subscription insights
inline constexpr std::uint64_t use_soundboard = 1ULL << 42;        ///< the soundboard in voice
inline constexpr std::uint64_t create_guild_expressions = 1ULL << 43; ///< create emojis, stickers, sounds
inline constexpr std::uint64_t create_events = 1ULL << 44;         ///< create scheduled events
inline constexpr std::uint64_t use_external_sounds = 1ULL << 45;   ///< sounds of other guilds
inline constexpr std::uint64_t send_voice_messages = 1ULL << 46;   ///< send voice messages
inline constexpr std::uint64_t send_polls = 1ULL << 49;            ///< create polls
inline constexpr std::uint64_t use_external_apps = 1ULL << 50;     ///< user-installed apps' public answers

/// Whether `granted` holds every flag of `wanted`; administrator holds them all, as in Discord.
[[nodiscard]] constexpr bool has(std::uint64_t granted, std::uint64_t wanted) noexcept
{
    return (granted & administrator) != 0 || (granted & wanted) == wanted;
}

} // namespace discord::oauth2::permission
