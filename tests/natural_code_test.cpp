// What bot authors write, written the way they write it, against the emulator: lambdas straight
// into next_matching, braced scope lists into every operation that takes scopes, `scope::`
// constants everywhere scopes are taken, and temporaries inside the co_awaits of the public API.
// Built with g++ 12 and with clang 16, each also under AddressSanitizer with its default
// options (tests/meson.build). g++ 12 destroys some temporaries made inside a co_await twice
// (docs/compilers.md): what would be a double free there is a compile error instead
// (tests/natural_code_refusals.py checks each), and everything here runs clean.
#include "emulator.hpp"
#include "http/client.hpp"
#include "server/free_port.hpp"
#include "support/authorize.hpp"
#include "support/run.hpp"
#include "support/web_flow.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace scope = discord::oauth2::scope;
using namespace std::chrono_literals;

namespace {

const oauth2::snowflake nelly{80351110224678912ULL}; // the emulator's first user
const oauth2::snowflake krew{80351110224678912ULL};  // a guild of the emulator's seed that nelly is in

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
constexpr bool gcc12 = true;
#else
constexpr bool gcc12 = false;
#endif

struct bot {
    asio::io_context io;
    std::string redirect = "http://127.0.0.1:" + std::to_string(oauth2::server::free_port()) + "/callback";
    em::emulator discord{io.get_executor(), test::flow_emulator_options(redirect)};
    oauth2::client client{io.get_executor(), (discord.start(), config())};
    oauth2::web_server web{io.get_executor(), client};
    oauth2::http::client browser{io.get_executor()};

    bot() { web.start(); }

    oauth2::client_config config()
    {
        auto c = test::flow_client_config(discord.url(), redirect);
        c.bot_token = oauth2::secret("emulator-airhorn-bot-token.0123456789");
        return c;
    }

    int browsing = 0; // people whose browser has not shown the page yet

    // The person opening the link in a browser and clicking Authorize, while the bot waits.
    void person_opens(std::string url)
    {
        ++browsing;
        asio::co_spawn(io, test::consent_as(browser, std::move(url), nelly), [this](std::exception_ptr, int) { --browsing; });
    }

    // Until every browser has its page: nothing is left in flight when the test ends.
    asio::awaitable<void> browsers_done()
    {
        bool all_shown = co_await test::wait_until([this] { return browsing == 0; }, std::chrono::seconds(30));
        CHECK(all_shown);
    }
};

} // namespace

TEST_CASE("the seed's command as people write it: braced scope constants, lambdas into next_matching")
{
    bot b;
    auto events = b.web.events();
    auto revocations = b.web.events();
    test::run(b.io, [&]() -> asio::awaitable<void> {
        auto& web = b.web;
        auto url = web.authorization_url(nelly, {scope::identify, scope::connections});
        b.person_opens(url);
        auto result = co_await web.wait_for_access_token(nelly, url, 1min);
        REQUIRE(result);
        auto connections = co_await b.client.get_connections(result->token);
        CHECK(connections.size() == 5);

        // A lambda straight into next_matching, capturing by reference and capturing values
        // without destructors (an id), as D++'s `when` is written.
        std::string flow = "login";
        auto exchanged = co_await events.next_matching(
            [&flow, user = nelly](const oauth2::event& e) {
                return e.kind == oauth2::event_kind::authorization_code_exchanged && e.user_id == user && e.claims
                    && e.claims->flow == flow;
            },
            10s);
        REQUIRE(exchanged);
        CHECK(exchanged->token);

        co_await web.revoke_access_token(nelly);
        // The filter form, a designated list straight into the co_await.
        auto revoked = co_await revocations.next_matching({.kind = oauth2::event_kind::access_token_revoked, .user = nelly},
                                                          10s);
        REQUIRE(revoked);
        CHECK(revoked->user_id == nelly);

        if constexpr (!gcc12) {
            // Where the compiler allows it, a lambda owning what it captures; under g++ 12 this
            // does not compile (it would be freed twice).
            auto second = web.authorization_url(nelly, {"identify"});
            b.person_opens(second);
            REQUIRE(co_await web.wait_for_access_token(nelly, second, 1min));
#if !defined(__GNUC__) || defined(__clang__) || __GNUC__ >= 13
            auto again = co_await events.next_matching(
                [flow](const oauth2::event& e) {
                    return e.kind == oauth2::event_kind::authorization_code_exchanged && e.claims && e.claims->flow == flow;
                },
                10s);
            CHECK(again);
#endif
        }
        co_await b.browsers_done();
    }());
}

TEST_CASE("braced scope lists and scope constants go into every operation that takes scopes")
{
    bot b;
    test::run(b.io, [&]() -> asio::awaitable<void> {
        auto& discord = b.client;
        auto owner = co_await discord.client_credentials({"identify", "connections"});
        CHECK(owner.scopes == std::vector<std::string>{"identify", "connections"});
        auto constants = co_await discord.client_credentials({scope::identify, scope::guilds});
        CHECK(constants.has_scope("guilds"));
        auto one = co_await discord.client_credentials(scope::identify);
        CHECK(one.scopes == std::vector<std::string>{"identify"});
        auto async_one = co_await discord.async_client_credentials({scope::identify, "email"}, asio::use_awaitable);
        CHECK(async_one.has_scope("email"));

        auto device = co_await discord.start_device_authorization({scope::identify, scope::connections});
        CHECK(device.scopes == std::vector<std::string>{"identify", "connections"});
        auto async_device = co_await discord.async_start_device_authorization({"identify"}, asio::use_awaitable);
        CHECK_FALSE(async_device.user_code.empty());

        // What already worked keeps working: vectors of strings and of views.
        std::vector<std::string> strings{"identify"};
        CHECK((co_await discord.client_credentials(strings)).has_scope("identify"));
        std::vector<std::string_view> views{scope::identify, scope::connections};
        auto link = b.web.authorization_url(nelly, views);
        CHECK(link.find("scope=identify%20connections") != std::string::npos);

        oauth2::authorization_request request{.scopes = {scope::identify, "guilds"}};
        CHECK(discord.authorization_url(request).url.find("scope=identify%20guilds") != std::string::npos);
        request.scopes = {scope::openid, scope::email};
        CHECK(discord.authorization_url(request).url.find("scope=openid%20email") != std::string::npos);
        CHECK(b.web.authorization_url(nelly, {scope::email}).find("scope=identify%20email") != std::string::npos);

        // No scopes at all is a clear error, however it is written.
        auto none = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await discord.client_credentials({});
        });
        CHECK(std::string(none.what()).find("at least one scope") != std::string::npos);
    }());
}

TEST_CASE("temporaries inside co_await: awaited tokens, strings made in place, the async forms' copies")
{
    bot b;
    test::run(b.io, [&]() -> asio::awaitable<void> {
        auto& web = b.web;
        auto& discord = b.client;
        auto url = web.authorization_url(
            nelly, {scope::identify, scope::guilds, scope::guilds_members_read, scope::role_connections_write});
        b.person_opens(url);
        auto result = co_await web.wait_for_access_token(nelly, std::string(url), std::chrono::seconds(60));
        REQUIRE(result);

        auto me = co_await discord.get_current_user(co_await web.fresh_access_token(nelly));
        CHECK(me.id == nelly);
        auto info = co_await discord.async_get_authorization_info(co_await web.fresh_access_token(nelly),
                                                                  asio::use_awaitable);
        CHECK(info.scopes.size() == 4);
        auto guilds = co_await discord.get_guilds(result->token, {.limit = 1});
        CHECK(guilds.size() == 1);
        auto [ec, user] = co_await discord.async_get_current_user(result->token,
                                                                  asio::experimental::as_tuple(asio::use_awaitable));
        CHECK_FALSE(ec);
        CHECK(user.id == nelly);
        auto member = co_await discord.async_get_guild_member(oauth2::access_token(result->token), krew,
                                                              asio::use_awaitable);
        CHECK(member.nick == "NOT API SUPPORT");

        // Structs named first (under g++ 12 a braced list here is refused at compile time).
        oauth2::role_connection connection{.platform_name = std::string("Chess Club"), .metadata = {}};
        connection.metadata["elo"] = "1800";
        auto stored = co_await discord.update_role_connection(result->token, connection);
        CHECK(stored.metadata.at("elo") == "1800");
        connection.metadata["elo"] = "1900";
        auto async_stored = co_await discord.async_update_role_connection(result->token, connection, asio::use_awaitable);
        CHECK(async_stored.metadata.at("elo") == "1900");

        // A grant of the owner, revoked through a token made in place.
        auto owner = co_await discord.client_credentials({scope::identify});
        co_await discord.revoke(oauth2::secret(std::string(owner.token.reveal())));
        auto gone = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await discord.get_current_user(owner);
        });
        CHECK(gone.code() == oauth2::errc::unauthorized);
        co_await discord.async_revoke(oauth2::secret(std::string(result->token.token.reveal())),
                                      oauth2::token_type_hint::access_token, asio::use_awaitable);
        co_await b.browsers_done();
    }());
}
