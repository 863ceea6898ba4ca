// Discord's OAuth2 scopes by name, so that a typo is a compile error:
//   web.authorization_url(user, {scope::identify, scope::connections});
#pragma once

#include <string_view>

namespace discord::oauth2::scope {

inline constexpr std::string_view activities_read = "activities.read";
inline constexpr std::string_view activities_write = "activities.write";
inline constexpr std::string_view applications_builds_read = "applications.builds.read";
inline constexpr std::string_view applications_builds_upload = "applications.builds.upload";
inline constexpr std::string_view applications_commands = "applications.commands";
inline constexpr std::string_view applications_commands_update = "applications.commands.update";
inline constexpr std::string_view applications_commands_permissions_update = "applications.commands.permissions.update";
inline constexpr std::string_view applications_entitlements = "applications.entitlements";
inline constexpr std::string_view applications_store_update = "applications.store.update";
inline constexpr std::string_view bot = "bot";
inline constexpr std::string_view connections = "connections";
inline constexpr std::string_view dm_channels_read = "dm_channels.read";
inline constexpr std::string_view email = "email";
inline constexpr std::string_view gdm_join = "gdm.join";
inline constexpr std::string_view guilds = "guilds";
inline constexpr std::string_view guilds_join = "guilds.join";
inline constexpr std::string_view guilds_members_read = "guilds.members.read";
inline constexpr std::string_view identify = "identify";
inline constexpr std::string_view messages_read = "messages.read";
inline constexpr std::string_view openid = "openid";
inline constexpr std::string_view relationships_read = "relationships.read";
inline constexpr std::string_view role_connections_write = "role_connections.write";
inline constexpr std::string_view rpc = "rpc";
inline constexpr std::string_view voice = "voice";
inline constexpr std::string_view webhook_incoming = "webhook.incoming";

} // namespace discord::oauth2::scope
