#include "model.hpp"

namespace discord::oauth2::emulator {

seed default_seed()
{
    seed s;

    // The documentation's user object (user-object-example-user.json).
    user nelly;
    nelly.id = 80351110224678912ULL;
    nelly.username = "Nelly";
    nelly.discriminator = "1337";
    nelly.avatar = "8342729096ea3675442027381ff50dfe";
    nelly.banner = "06c16474723fe537c283b8efa61a30c8";
    nelly.accent_color = 16711680;
    nelly.email = "nelly@discord.com";
    nelly.flags = 64;
    nelly.public_flags = 64;
    nelly.decoration_asset = "a_fed43ab12698df65902ba06727e20c0e";
    nelly.decoration_sku_id = 1144058844004233369ULL;
    nelly.primary_guild_id = 1234647491267808778ULL;
    nelly.primary_guild_tag = "DISC";

    // The user of the documentation's authorization-information example.
    user discord_user;
    discord_user.id = 268473310986240001ULL;
    discord_user.username = "discord";
    discord_user.global_name = "Discord";
    discord_user.avatar = "f749bb0cbeeb26ef21eca719337d20f1";
    discord_user.email = "discord@example.com";
    discord_user.public_flags = 131072;

    user zoe;
    zoe.id = 175928847299117063ULL; // the snowflake test vector: 2016-04-30T11:18:25.796Z
    zoe.username = "zoë";
    zoe.global_name = "Zoë Ångström 🌸";
    zoe.email = "zoe@example.com";
    zoe.locale = "sv-SE";
    zoe.premium_type = 2;
    zoe.mfa_enabled = true;
    zoe.decoration_asset = "a_emulator_decoration_outside_the_shop";
    // no sku: a decoration that is not sold in the shop (the spec allows null)

    user xiaolong;
    xiaolong.id = 613425648685547541ULL;
    xiaolong.username = "xiaolong";
    xiaolong.global_name = "李小龙";
    xiaolong.email = "xiaolong@example.com";
    xiaolong.locale = "zh-CN";
    xiaolong.verified = false;

    user airhorn_bot;
    airhorn_bot.id = 159799960412356609ULL;
    airhorn_bot.username = "AIRHORN SOLUTIONS";
    airhorn_bot.bot = true;
    airhorn_bot.premium_type.reset(); // Discord leaves premium_type out for bots
    airhorn_bot.email.clear();

    s.users = {nelly, discord_user, zoe, xiaolong, airhorn_bot};

    s.connections[nelly.id] = {
        {"nellycodes", "nellycodes", "github", true, false, false, true, false, 1},
        {"76561197960287930", "Nelly", "steam", true, false, true, true, false, 1},
        {"41245072", "nelly_live", "twitch", true, false, false, true, true, 1},
        {"nelly.spotify", "Nelly", "spotify", true, false, false, true, false, 0},
        {"did:plc:nelly", "nelly.bsky.social", "bluesky", true, false, false, false, false, 1},
    };
    s.connections[zoe.id] = {
        {"UC_zoe", "Zoë plays", "youtube", true, false, false, true, false, 1},
        {"2533274790395904", "zoeangstrom", "xbox", true, false, false, true, false, 1},
        // A service this emulator has never heard of must still parse on the client.
        // ... with no name (the spec allows null).
        {"zoe@fedi", std::nullopt, "fediverse-something-new", false, true, false, false, false, 0},
    };

    // The documentation's partial guild (get-current-user-guilds-example-partial-guild.json).
    guild krew;
    krew.id = 80351110224678912ULL;
    krew.name = "1337 Krew";
    krew.icon = "8342729096ea3675442027381ff50dfe";
    krew.banner = "bb42bdc37653b7cf58c4c8cc622e76cb";
    krew.owner_id = nelly.id;
    krew.features = {"COMMUNITY", "NEWS", "ANIMATED_ICON", "INVITE_SPLASH", "BANNER", "ROLE_ICONS"};
    krew.approximate_member_count = 3268;
    krew.approximate_presence_count = 784;
    // The documentation's guild member (guild-member-object-example-guild-member.json).
    member nelly_in_krew;
    nelly_in_krew.permissions = "36953089";
    nelly_in_krew.nick = "NOT API SUPPORT";
    nelly_in_krew.joined_at = "2015-04-26T06:26:56.936000+00:00";
    krew.members[nelly.id] = nelly_in_krew;
    member zoe_in_krew;
    zoe_in_krew.joined_at = "2019-07-01T12:00:00.000000+00:00";
    krew.members[zoe.id] = zoe_in_krew;

    guild cafe;
    cafe.id = 290926798626357250ULL;
    cafe.name = "Ünïcödé Café ☕";
    cafe.owner_id = zoe.id;
    cafe.features = {"COMMUNITY"};
    cafe.approximate_presence_count = 2;
    member zoe_in_cafe;
    zoe_in_cafe.permissions = "2251799813685247";
    zoe_in_cafe.nick = "☕ barista";
    zoe_in_cafe.joined_at = "2020-02-02T02:02:02.000000+00:00";
    cafe.members[zoe.id] = zoe_in_cafe;
    member xiaolong_in_cafe;
    xiaolong_in_cafe.joined_at = "2021-03-03T03:03:03.000000+00:00";
    xiaolong_in_cafe.roles = {290926798626357251ULL};
    cafe.members[xiaolong.id] = xiaolong_in_cafe;
    member nelly_in_cafe;
    nelly_in_cafe.joined_at = "2022-04-04T04:04:04.000000+00:00";
    cafe.members[nelly.id] = nelly_in_cafe;

    guild lab;
    lab.id = 1234647491267808778ULL;
    lab.name = "Emulator Lab";
    lab.owner_id = discord_user.id;
    member discord_in_lab;
    discord_in_lab.permissions = "2251799813685247";
    discord_in_lab.joined_at = "2023-05-05T05:05:05.000000+00:00";
    lab.members[discord_user.id] = discord_in_lab;
    member nelly_in_lab;
    nelly_in_lab.joined_at = "2023-06-06T06:06:06.000000+00:00";
    nelly_in_lab.pending = true;
    lab.members[nelly.id] = nelly_in_lab;
    lab.counts_unknown = true; // with_counts answers null counts here, as Discord's spec allows

    s.guilds = {krew, cafe, lab};

    // The documentation's application (authorization-information example), confidential.
    application airhorn;
    airhorn.id = 159799960412356608ULL;
    airhorn.name = "AIRHORN SOLUTIONS";
    airhorn.icon = "f03590d3eb764081d154a66340ea7d6d";
    airhorn.client_secret = "emulator-airhorn-client-secret-0123456789";
    airhorn.redirect_uris = {"http://127.0.0.1:42069/oauth/", "http://127.0.0.1:53134/callback",
                             "http://localhost:53134/callback"};
    airhorn.bot_token = "emulator-airhorn-bot-token.0123456789";
    airhorn.bot_user_id = airhorn_bot.id;
    airhorn.owner_id = discord_user.id;
    // A global command and one registered in the 1337 Krew only, for the command permission routes.
    airhorn.commands = {{1300000000000000001ULL, "connections", std::nullopt},
                        {1300000000000000002ULL, "krew-only", krew.id}};

    // A public client: no secret, PKCE required.
    application pkce;
    pkce.id = 1100000000000000001ULL;
    pkce.name = "Pocket Companion";
    pkce.description = "A public client that authenticates with PKCE only.";
    pkce.redirect_uris = {"http://127.0.0.1:53134/callback", "http://localhost:53134/callback"};
    pkce.owner_id = nelly.id;
    pkce.public_client = true;
    pkce.hook = false;

    s.applications = {airhorn, pkce};
    return s;
}

} // namespace discord::oauth2::emulator
