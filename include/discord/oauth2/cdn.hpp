// Discord's CDN: the URLs of the images a bot shows beside what the flow gave it (a user's
// avatar, default avatar and banner, a guild's icon and banner, a member's guild avatar), as
// discord.js's displayAvatarURL and D++'s get_avatar_url make them:
//
//   auto me = co_await client.get_current_user(token);
//   embed.set_thumbnail(oauth2::cdn::avatar_url(me));   // the default avatar when they have none
//
// Pure functions of the objects the client decoded; nothing is fetched. Thread-safe.
#pragma once

#include <discord/oauth2/guild.hpp>
#include <discord/oauth2/snowflake.hpp>
#include <discord/oauth2/user.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace discord::oauth2::cdn {

/// Where Discord serves images.
inline constexpr std::string_view base_url = "https://cdn.discordapp.com";

/// The file format asked for.
enum class image_format {
    automatic, ///< gif for an animated image (its hash starts with "a_"), png otherwise
    png,       ///< PNG
    jpeg,      ///< JPEG
    webp,      ///< WebP (animated for an animated image)
    gif,       ///< GIF: only for an animated image
};

/// How an image is asked for: its format and its size.
struct image_options {
    image_format format = image_format::automatic; ///< the file format
    /// The size in pixels: a power of two from 16 to 4096; Discord's own size when absent.
    std::optional<int> size{};
};

/// Whether `hash` names an animated image (Discord prefixes those with "a_").
[[nodiscard]] bool is_animated(std::string_view hash) noexcept;

/// `user`'s avatar, or their default avatar when they have none (discord.js's
/// displayAvatarURL). Throws `error` (invalid_argument) for a size that is not a power of two
/// from 16 to 4096, gif for an avatar that is not animated, or a hash that is not one (Discord
/// sends letters, digits and _; anything else is refused rather than put into a URL).
[[nodiscard]] std::string avatar_url(const user& user, const image_options& options);
/// The same in Discord's own size, gif when animated and png otherwise.
[[nodiscard]] std::string avatar_url(const user& user);
/// The avatar Discord shows for a user without one: one of six chosen by the id for users on
/// the new username system (discriminator "0"), one of five by the discriminator for the others.
/// Always PNG.
[[nodiscard]] std::string default_avatar_url(const user& user);
/// `user`'s profile banner; nullopt when they have none (or the object came without it:
/// `GET /users/@me` sends it). Throws as avatar_url.
[[nodiscard]] std::optional<std::string> banner_url(const user& user, const image_options& options);
/// The same in Discord's own size and format.
[[nodiscard]] std::optional<std::string> banner_url(const user& user);
/// A guild's icon; nullopt when it has none. Throws as avatar_url.
[[nodiscard]] std::optional<std::string> guild_icon_url(const partial_guild& guild, const image_options& options);
/// The same in Discord's own size and format.
[[nodiscard]] std::optional<std::string> guild_icon_url(const partial_guild& guild);
/// A guild's banner; nullopt when it has none. Throws as avatar_url.
[[nodiscard]] std::optional<std::string> guild_banner_url(const partial_guild& guild, const image_options& options);
/// The same in Discord's own size and format.
[[nodiscard]] std::optional<std::string> guild_banner_url(const partial_guild& guild);
/// `member`'s avatar in `guild_id` (`GET /users/@me/guilds/{guild}/member`); nullopt when they
/// use their own avatar there (avatar_url of member.user then). Throws as avatar_url, and
/// invalid_argument when the member object carries no user.
[[nodiscard]] std::optional<std::string> member_avatar_url(snowflake guild_id, const guild_member& member,
                                                           const image_options& options);
/// The same in Discord's own size and format.
[[nodiscard]] std::optional<std::string> member_avatar_url(snowflake guild_id, const guild_member& member);

} // namespace discord::oauth2::cdn
