// Discord's image URLs (https://discord.com/developers/docs/reference#image-formatting).
#include <discord/oauth2/cdn.hpp>

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

#include <charconv>

namespace discord::oauth2::cdn {
namespace {

// A hash goes into a URL's path: only what Discord sends is taken, so that a hostile value
// cannot reach another path or host.
const std::string& checked_hash(const std::string& hash, std::string_view what)
{
    bool ok = !hash.empty() && hash.size() <= 64;
    for (char c : hash)
        ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_');
    if (!ok)
        throw error(errc::invalid_argument, fmt::format("the {} hash is not one Discord sends (letters, digits, _)", what));
    return hash;
}

std::string_view extension(const std::string& hash, image_format format, std::string_view what)
{
    switch (format) {
    case image_format::automatic: return is_animated(hash) ? "gif" : "png";
    case image_format::png: return "png";
    case image_format::jpeg: return "jpg";
    case image_format::webp: return "webp";
    case image_format::gif:
        if (!is_animated(hash))
            throw error(errc::invalid_argument, fmt::format("the {} is not animated: ask for png, jpeg or webp, not gif", what));
        return "gif";
    }
    throw error(errc::invalid_argument, "unknown image format");
}

std::string image(std::string_view path, const std::string& hash, const image_options& options, std::string_view what)
{
    auto ext = extension(checked_hash(hash, what), options.format, what);
    auto url = fmt::format("{}/{}/{}.{}", base_url, path, hash, ext);
    if (options.size) {
        int s = *options.size;
        if (s < 16 || s > 4096 || (s & (s - 1)) != 0)
            throw error(errc::invalid_argument,
                        fmt::format("an image size is a power of two from 16 to 4096, not {}", s));
        url += fmt::format("?size={}", s);
    }
    // WebP of an animated image is a still one unless asked for.
    if (options.format == image_format::webp && is_animated(hash))
        url += options.size ? "&animated=true" : "?animated=true";
    return url;
}

} // namespace

bool is_animated(std::string_view hash) noexcept
{
    return hash.starts_with("a_");
}

std::string avatar_url(const user& user, const image_options& options)
{
    if (!user.avatar)
        return default_avatar_url(user);
    return image(fmt::format("avatars/{}", user.id.value()), *user.avatar, options, "avatar");
}

std::string avatar_url(const user& user)
{
    return avatar_url(user, image_options{});
}

std::string default_avatar_url(const user& user)
{
    std::uint64_t index = 0;
    unsigned discriminator = 0;
    auto [end, ec] = std::from_chars(user.discriminator.data(), user.discriminator.data() + user.discriminator.size(),
                                     discriminator);
    bool legacy = ec == std::errc() && end == user.discriminator.data() + user.discriminator.size() && discriminator != 0;
    if (legacy)
        index = discriminator % 5; // the five avatars of the old name#0000 system
    else
        index = (user.id.value() >> 22) % 6;
    return fmt::format("{}/embed/avatars/{}.png", base_url, index);
}

std::optional<std::string> banner_url(const user& user, const image_options& options)
{
    if (!user.banner)
        return std::nullopt;
    return image(fmt::format("banners/{}", user.id.value()), *user.banner, options, "banner");
}

std::optional<std::string> banner_url(const user& user)
{
    return banner_url(user, image_options{});
}

std::optional<std::string> guild_icon_url(const partial_guild& guild, const image_options& options)
{
    if (!guild.icon)
        return std::nullopt;
    return image(fmt::format("icons/{}", guild.id.value()), *guild.icon, options, "guild icon");
}

std::optional<std::string> guild_icon_url(const partial_guild& guild)
{
    return guild_icon_url(guild, image_options{});
}

std::optional<std::string> guild_banner_url(const partial_guild& guild, const image_options& options)
{
    if (!guild.banner)
        return std::nullopt;
    return image(fmt::format("banners/{}", guild.id.value()), *guild.banner, options, "guild banner");
}

std::optional<std::string> guild_banner_url(const partial_guild& guild)
{
    return guild_banner_url(guild, image_options{});
}

std::optional<std::string> member_avatar_url(snowflake guild_id, const guild_member& member)
{
    return member_avatar_url(guild_id, member, image_options{});
}

std::optional<std::string> member_avatar_url(snowflake guild_id, const guild_member& member, const image_options& options)
{
    if (!member.avatar)
        return std::nullopt;
    if (!member.user)
        throw error(errc::invalid_argument, "the member object carries no user: its guild avatar has no URL");
    return image(fmt::format("guilds/{}/users/{}/avatars", guild_id.value(), member.user->id.value()), *member.avatar,
                 options, "member avatar");
}

} // namespace discord::oauth2::cdn
