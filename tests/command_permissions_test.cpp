// Slash command permissions (lib/client/command_permissions.cpp) against the emulator over
// loopback: a guild owner's Bearer token sets and reads them, the bot reads them, and every
// refusal Discord makes (scope, members without Manage Guild and Manage Roles, strangers, unknown
// and foreign commands, too many overwrites) comes back as the right error.
#include "emulator.hpp"
#include "http/client.hpp"
#include "support/run.hpp"
#include "support/bot_flow.hpp"

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using oauth2::snowflake;
using perm_type = oauth2::command_permission_type;

namespace {

const snowflake airhorn{159799960412356608ULL};
const snowflake krew{80351110224678912ULL};  // owned by nelly
const snowflake cafe{290926798626357250ULL}; // zoe has every permission; xiaolong none that matter
const snowflake lab{1234647491267808778ULL};
const snowflake global_command{1300000000000000001ULL};
const snowflake krew_command{1300000000000000002ULL}; // registered in the 1337 Krew only
const std::string nelly = "80351110224678912";
const std::string zoe = "175928847299117063";
const std::string xiaolong = "613425648685547541";

// A user's token for {"identify", "applications.commands.permissions.update"}.
asio::awaitable<oauth2::access_token> admin_token(test::bot_flow& f, std::string user)
{
    std::vector<std::string> scopes{"identify", "applications.commands.permissions.update"};
    co_return co_await f.token(std::move(scopes), std::move(user));
}

} // namespace

TEST_CASE("a guild owner sets a command's overwrites; they read back alone and for the guild, and the bot reads them")
{
    test::bot_flow f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto token = co_await admin_token(f, nelly);
        auto none = co_await test::expect_error([&]() { return f.client.get_command_permissions(token, krew, global_command); });
        CHECK(none.code() == oauth2::errc::not_found);
        CHECK(none.discord_code() == 10066);

        std::vector<oauth2::command_permission> set{
            {oauth2::everyone_role_id(krew), perm_type::role, false},
            {snowflake(613425648685547541ULL), perm_type::user, true},
            {oauth2::all_channels_id(krew), perm_type::channel, true},
        };
        auto stored = co_await f.client.edit_command_permissions(token, krew, global_command, set);
        CHECK(stored.id == global_command);
        CHECK(stored.application_id == airhorn);
        CHECK(stored.guild_id == krew);
        REQUIRE(stored.permissions.size() == 3);
        CHECK(stored.permissions[0].id == krew);
        CHECK(stored.permissions[0].type == perm_type::role);
        CHECK_FALSE(stored.permissions[0].permission);
        CHECK(stored.permissions[2].id == snowflake(krew.value() - 1));
        CHECK(stored.permissions[2].type == perm_type::channel);

        auto read = co_await f.client.get_command_permissions(token, krew, global_command);
        CHECK(read.permissions.size() == 3);
        CHECK(read.permissions[1].permission);

        // A guild command in its guild, and the application-wide set (the application's id).
        std::vector<oauth2::command_permission> deny_everyone{{krew, perm_type::role, false}};
        CHECK((co_await f.client.edit_command_permissions(token, krew, krew_command, deny_everyone)).id == krew_command);
        CHECK((co_await f.client.edit_command_permissions(token, krew, airhorn, deny_everyone)).id == airhorn);
        auto all = co_await f.client.get_guild_command_permissions(token, krew);
        CHECK(all.size() == 3);

        // Replacing with nothing leaves an empty set.
        std::vector<oauth2::command_permission> nothing;
        auto cleared = co_await f.client.edit_command_permissions(token, krew, global_command, nothing);
        CHECK(cleared.permissions.empty());

        // The bot reads them with its own token once it is in the guild; the user's grant
        // (Bearer) is not needed for reading.
        oauth2::authorization_request bot;
        bot.scopes = {"bot"};
        bot.guild_id = krew;
        co_await test::token_for(f.client, f.browser, bot, nelly);
        http::request r;
        r.url = f.discord.url() + "/api/v10/applications/159799960412356608/guilds/80351110224678912/commands/permissions";
        r.fields.add("Authorization", "Bot emulator-airhorn-bot-token.0123456789");
        auto as_bot = co_await f.browser.send(std::move(r));
        CHECK(as_bot.status == 200);
        CHECK(std::string(as_bot.body.view()).find("1300000000000000002") != std::string::npos);
    }());
}

TEST_CASE("command permissions refused: scope, too many overwrites, bad types, members who may not, strangers, foreign commands")
{
    test::bot_flow f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        // Checked here, without a request.
        oauth2::authorization_request plain;
        plain.scopes = {"identify"};
        auto identify_only = co_await test::token_for(f.client, f.browser, plain, nelly);
        auto before = f.discord.calls("GET /api/v10/applications/{application}/guilds/{guild}/commands/permissions");
        auto scope = co_await test::expect_error([&]() { return f.client.get_guild_command_permissions(identify_only, krew); });
        CHECK(scope.code() == oauth2::errc::missing_scope);
        CHECK(f.discord.calls("GET /api/v10/applications/{application}/guilds/{guild}/commands/permissions") == before);

        auto token = co_await admin_token(f, nelly);
        std::vector<oauth2::command_permission> too_many(101, {krew, perm_type::role, true});
        auto many = co_await test::expect_error([&]() { return f.client.edit_command_permissions(token, krew, global_command, too_many); });
        CHECK(many.code() == oauth2::errc::invalid_argument);
        CHECK(std::string(many.what()).find("at most 100") != std::string::npos);
        std::vector<oauth2::command_permission> bad_type{{krew, static_cast<perm_type>(4), true}};
        auto typed = co_await test::expect_error([&]() { return f.client.edit_command_permissions(token, krew, global_command, bad_type); });
        CHECK(typed.code() == oauth2::errc::invalid_argument);
        std::vector<oauth2::command_permission> hundred(100, {krew, perm_type::role, true});
        CHECK((co_await f.client.edit_command_permissions(token, krew, global_command, hundred)).permissions.size() == 100);

        std::vector<oauth2::command_permission> one{{cafe, perm_type::role, false}};
        // Xiaolong is in the café without Manage Guild and Manage Roles: Discord's 50013.
        auto member = co_await admin_token(f, xiaolong);
        auto may_not = co_await test::expect_error([&]() { return f.client.edit_command_permissions(member, cafe, global_command, one); });
        CHECK(may_not.code() == oauth2::errc::forbidden);
        CHECK(may_not.discord_code() == 50013);
        // ... and not in the lab at all: 50001, for reading too.
        auto stranger = co_await test::expect_error([&]() { return f.client.get_guild_command_permissions(member, lab); });
        CHECK(stranger.code() == oauth2::errc::forbidden);
        CHECK(stranger.discord_code() == 50001);

        // Zoe has every permission in the café, where the Krew's guild command does not exist.
        auto cafe_admin = co_await admin_token(f, zoe);
        CHECK((co_await f.client.edit_command_permissions(cafe_admin, cafe, global_command, one)).guild_id == cafe);
        auto foreign = co_await test::expect_error([&]() { return f.client.edit_command_permissions(cafe_admin, cafe, krew_command, one); });
        CHECK(foreign.code() == oauth2::errc::not_found);
        CHECK(foreign.discord_code() == 10063);
        auto unknown = co_await test::expect_error([&]() { return f.client.get_command_permissions(cafe_admin, cafe, snowflake(42)); });
        CHECK(unknown.discord_code() == 10063);
        auto no_guild = co_await test::expect_error([&]() { return f.client.get_guild_command_permissions(cafe_admin, snowflake(42)); });
        CHECK(no_guild.code() == oauth2::errc::not_found);

        // What one guild's admin set is not visible from another guild.
        CHECK((co_await f.client.get_guild_command_permissions(cafe_admin, cafe)).size() == 1);
    }());
}
