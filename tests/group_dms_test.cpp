// Group DMs (lib/client/group_dms.cpp) against the emulator over loopback: made from users'
// gdm.join tokens with the bot token, a recipient added once, and every refusal (scope, the same
// token twice, another user's token, unknown and foreign channels, Discord's 10 active).
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

namespace {

const snowflake airhorn{159799960412356608ULL};
const snowflake airhorn_bot{159799960412356609ULL};
const std::string nelly = "80351110224678912";
const std::string zoe = "175928847299117063";
const std::string xiaolong = "613425648685547541";

// A user's token for {"identify", "gdm.join"}.
asio::awaitable<oauth2::access_token> gdm_token(test::bot_flow& f, std::string user)
{
    std::vector<std::string> scopes{"identify", "gdm.join"};
    co_return co_await f.token(std::move(scopes), std::move(user));
}

} // namespace

TEST_CASE("a group DM from two users' tokens, named; a third user added once")
{
    test::bot_flow f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto a = co_await gdm_token(f, nelly);
        auto b = co_await gdm_token(f, xiaolong);
        std::vector<oauth2::access_token> tokens{a, b};
        std::vector<std::pair<snowflake, std::string>> nicks{{snowflake(613425648685547541ULL), "小龙"}};
        auto group = co_await f.client.create_group_dm(tokens, nicks);
        CHECK(group.type == oauth2::channel_type::group_dm);
        CHECK(group.id != snowflake{});
        REQUIRE(group.recipients.size() == 2);
        CHECK(group.recipients[0].id == snowflake(80351110224678912ULL));
        CHECK(group.recipients[1].username == "xiaolong");
        CHECK(group.owner_id == airhorn_bot);
        CHECK(group.application_id == airhorn);
        CHECK(group.managed == true);
        CHECK_FALSE(group.name);

        auto c = co_await gdm_token(f, zoe);
        std::string nick = "zoë";
        auto added = co_await f.client.add_group_dm_recipient(c, group.id, snowflake(175928847299117063ULL), nick);
        CHECK(added.added);
        REQUIRE(added.channel);
        CHECK(added.channel->recipients.size() == 3);
        std::string no_nick;
        auto again = co_await f.client.add_group_dm_recipient(c, group.id, snowflake(175928847299117063ULL), no_nick);
        CHECK_FALSE(again.added);
        CHECK_FALSE(again.channel);
    }());
}

TEST_CASE("group DMs refused: scope, no tokens, the same token twice, another user's token, unknown channels, the eleventh")
{
    test::bot_flow f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        oauth2::authorization_request plain;
        plain.scopes = {"identify"};
        auto identify_only = co_await test::token_for(f.client, f.browser, plain, nelly);
        auto a = co_await gdm_token(f, nelly);
        std::vector<std::pair<snowflake, std::string>> no_nicks;

        std::vector<oauth2::access_token> unscoped{a, identify_only};
        auto scope = co_await test::expect_error([&]() { return f.client.create_group_dm(unscoped, no_nicks); });
        CHECK(scope.code() == oauth2::errc::missing_scope);
        std::vector<oauth2::access_token> none;
        auto empty = co_await test::expect_error([&]() { return f.client.create_group_dm(none, no_nicks); });
        CHECK(empty.code() == oauth2::errc::invalid_argument);
        std::vector<oauth2::access_token> twice{a, a};
        auto duplicate = co_await test::expect_error([&]() { return f.client.create_group_dm(twice, no_nicks); });
        CHECK(duplicate.code() == oauth2::errc::invalid_argument);
        CHECK(f.discord.calls("POST /api/v10/users/@me/channels") == 0);

        // Without the bot token there is nothing to send with.
        auto c = f.config();
        c.bot_token.reset();
        oauth2::client no_bot(f.io.get_executor(), c);
        std::vector<oauth2::access_token> one{a};
        auto bot = co_await test::expect_error([&]() { return no_bot.create_group_dm(one, no_nicks); });
        CHECK(bot.code() == oauth2::errc::invalid_argument);

        auto group = co_await f.client.create_group_dm(one, no_nicks);
        std::string nick;
        // Nelly's token does not add Xiaolong; an unknown channel is not found.
        auto other = co_await test::expect_error([&]() {
            return f.client.add_group_dm_recipient(a, group.id, snowflake(613425648685547541ULL), nick);
        });
        CHECK(other.code() == oauth2::errc::forbidden);
        CHECK(other.discord_code() == 50025);
        auto unknown = co_await test::expect_error([&]() {
            return f.client.add_group_dm_recipient(a, snowflake(42), snowflake(80351110224678912ULL), nick);
        });
        CHECK(unknown.code() == oauth2::errc::not_found);
        CHECK(unknown.discord_code() == 10003);

        // Ten active group DMs per application: the eleventh is refused with Discord's 30011.
        for (int i = 1; i < 10; ++i)
            co_await f.client.create_group_dm(one, no_nicks);
        auto full = co_await test::expect_error([&]() { return f.client.create_group_dm(one, no_nicks); });
        CHECK(full.code() == oauth2::errc::api_error);
        CHECK(full.discord_code() == 30011);
    }());
}
