// discord::oauth2::client against the emulator in-process over loopback.
#include "emulator.hpp"
#include "http/client.hpp"
#include "support/run.hpp"

#include "core/url_encoding.hpp"

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/endpoints.hpp>
#include <discord/oauth2/log.hpp>
#include <discord/oauth2/error.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>

#include <doctest/doctest.h>

#include <filesystem>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace url = discord::oauth2::url;
using oauth2::secret;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake confidential_id{159799960412356608ULL};
const std::string confidential_secret = "emulator-airhorn-client-secret-0123456789";
const snowflake public_id{1100000000000000001ULL};
const std::string redirect = "http://127.0.0.1:53134/callback";

struct fixture {
    asio::io_context io;
    em::emulator discord;
    http::client browser; // follows the authorize URL as a browser would
    oauth2::client client;

    // The emulator must listen before the client's endpoints are known: it starts first.
    explicit fixture(em::options o = auto_approving(), bool confidential = true)
        : discord(io.get_executor(), std::move(o)), browser(io.get_executor()),
          client(io.get_executor(), (discord.start(), config(confidential)))
    {
    }

    static em::options auto_approving()
    {
        em::options o;
        o.auto_approve = true;
        return o;
    }

    oauth2::client_config config(bool confidential)
    {
        oauth2::client_config c;
        c.client_id = confidential ? confidential_id : public_id;
        if (confidential)
            c.client_secret = secret(confidential_secret);
        c.redirect_uri = redirect;
        c.endpoints = oauth2::endpoints::under(discord.url());
        return c;
    }

    // Follows the authorization URL and returns the redirect's parameters.
    asio::awaitable<url::parameters> follow(const std::string& link)
    {
        http::request r;
        r.url = link;
        auto response = co_await browser.send(std::move(r));
        REQUIRE(response.status == 302);
        auto location = std::string(*response.fields.find("location"));
        co_return *url::parse_query(location.substr(location.find_first_of("?#") + 1));
    }

    static std::string value(const url::parameters& p, std::string_view name)
    {
        for (const auto& [k, v] : p)
            if (k == name)
                return v;
        return {};
    }

    // An authorization link for `scopes` and the code its redirect brought.
    asio::awaitable<std::pair<oauth2::authorization_link, std::string>> code_for(std::vector<std::string> scopes)
    {
        oauth2::authorization_request request;
        request.scopes = std::move(scopes);
        auto link = client.authorization_url(request);
        auto p = co_await follow(link.url);
        REQUIRE(value(p, "state") == link.state);
        co_return std::pair{std::move(link), value(p, "code")};
    }

    // A token for `scopes` through the whole code flow (PKCE included).
    asio::awaitable<oauth2::access_token> authorize(std::vector<std::string> scopes)
    {
        auto [link, code] = co_await code_for(std::move(scopes));
        co_return co_await client.exchange_code(code, link.code_verifier);
    }
};


} // namespace

TEST_CASE("authorization URLs: every value encoded, PKCE S256, a random state, Discord's rules")
{
    asio::io_context io;
    oauth2::client_config c;
    c.client_id = confidential_id;
    c.client_secret = secret(confidential_secret);
    c.redirect_uri = "http://127.0.0.1:53134/callback?x=1&y=2";
    oauth2::client client(io.get_executor(), c);

    oauth2::authorization_request r;
    r.scopes = {"identify", "guilds.join"};
    r.prompt = "consent";
    r.state = "a b&c=d";
    r.integration_type = 0;
    auto link = client.authorization_url(r);
    CHECK(link.url.starts_with("https://discord.com/oauth2/authorize?client_id=159799960412356608&response_type=code&"));
    auto query = *url::parse_query(link.url.substr(link.url.find('?') + 1));
    CHECK(fixture::value(query, "redirect_uri") == c.redirect_uri);
    CHECK(fixture::value(query, "scope") == "identify guilds.join");
    CHECK(fixture::value(query, "state") == "a b&c=d");
    CHECK(link.url.find("scope=identify%20guilds.join") != std::string::npos);
    CHECK(fixture::value(query, "prompt") == "consent");
    CHECK(fixture::value(query, "integration_type") == "0");
    CHECK(fixture::value(query, "code_challenge_method") == "S256");
    REQUIRE(link.code_verifier);
    CHECK(link.code_verifier->reveal().size() == 64);
    CHECK(fixture::value(query, "code_challenge") == oauth2::pkce_challenge(link.code_verifier->reveal()));
    CHECK(link.url.find(link.code_verifier->reveal()) == std::string::npos); // the verifier stays here

    // RFC 7636's test vector.
    CHECK(oauth2::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");

    oauth2::authorization_request random_state;
    random_state.scopes = {"identify"};
    auto a = client.authorization_url(random_state);
    auto b = client.authorization_url(random_state);
    CHECK(a.state.size() >= 32);
    CHECK(a.state != b.state);

    oauth2::authorization_request roles;
    roles.scopes = {"role_connections.write"};
    CHECK_FALSE(client.authorization_url(roles).code_verifier); // Discord refuses PKCE with it

    oauth2::authorization_request bot;
    bot.scopes = {"bot", "applications.commands"};
    bot.permissions = 8;
    bot.guild_id = snowflake(290926798626357250ULL);
    bot.disable_guild_select = true;
    auto invite = client.authorization_url(bot);
    CHECK(invite.url.find("permissions=8") != std::string::npos);
    CHECK(invite.url.find("guild_id=290926798626357250") != std::string::npos);
    CHECK(invite.url.find("disable_guild_select=true") != std::string::npos);

    oauth2::authorization_request none;
    CHECK_THROWS_AS((void)client.authorization_url(none), oauth2::error);
    oauth2::authorization_request bad_prompt;
    bad_prompt.scopes = {"identify"};
    bad_prompt.prompt = "always";
    CHECK_THROWS_AS((void)client.authorization_url(bad_prompt), oauth2::error);
}

TEST_CASE("the whole code flow and every Bearer read")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes_1{"identify", "email", "connections", "guilds", "guilds.members.read"};
        auto token = co_await f.authorize(scopes_1);
        CHECK(token.token.reveal().size() == 30);
        CHECK(token.refresh_token);
        CHECK(token.expires_in == 604800s);
        CHECK(token.has_scope("guilds.members.read"));

        auto me = co_await f.client.get_current_user(token);
        CHECK(me.id == snowflake(80351110224678912ULL));
        CHECK(me.email == "nelly@discord.com");

        auto connections = co_await f.client.get_connections(token);
        CHECK(connections.size() == 5);
        CHECK(connections.front().type == "github");

        oauth2::client::guild_page page;
        page.with_counts = true;
        auto guilds = co_await f.client.get_guilds(token, page);
        REQUIRE(guilds.size() == 3);
        CHECK(guilds[0].approximate_member_count == 3268);
        oauth2::client::guild_page second;
        second.after = guilds[0].id;
        second.limit = 1;
        auto next = co_await f.client.get_guilds(token, second);
        REQUIRE(next.size() == 1);
        CHECK(next[0].id == guilds[1].id);

        auto member = co_await f.client.get_guild_member(token, guilds[0].id);
        CHECK(member.nick == "NOT API SUPPORT");
        auto stranger = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await f.client.get_guild_member(token, snowflake(42));
        });
        CHECK(stranger.code() == oauth2::errc::not_found);
        CHECK(stranger.discord_code() == 10004);

        auto info = co_await f.client.get_authorization_info(token);
        CHECK(info.application.id == confidential_id);
        CHECK(info.user->id == me.id);
        CHECK(info.expires > std::chrono::system_clock::now());
    }());
}

TEST_CASE("token errors: spent codes, bad secrets, PKCE mismatch, rotated refresh tokens, revoked grants")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> identify{"identify"};
        auto [link, code] = co_await f.code_for(identify);
        auto token = co_await f.client.exchange_code(code, link.code_verifier);
        auto reused = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await f.client.exchange_code(code, link.code_verifier);
        });
        CHECK(reused.code() == oauth2::errc::invalid_grant);
        CHECK(reused.needs_reauthorization());
        CHECK(reused.http_status() == 400);
        CHECK(std::string(reused.what()).find(code) == std::string::npos); // no secret in the message

        auto [other, other_code] = co_await f.code_for(identify);
        auto wrong_verifier = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await f.client.exchange_code(other_code, link.code_verifier);
        });
        CHECK(wrong_verifier.code() == oauth2::errc::invalid_grant);

        oauth2::client_config bad = f.client.config();
        bad.client_secret = secret("not-the-secret");
        oauth2::client impostor(f.io.get_executor(), bad);
        auto bad_secret = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await impostor.refresh(*token.refresh_token);
        });
        CHECK(bad_secret.code() == oauth2::errc::invalid_client);
        CHECK(bad_secret.http_status() == 401);

        auto rotated = co_await f.client.refresh(*token.refresh_token);
        CHECK_FALSE(rotated.refresh_token == token.refresh_token);
        auto old_refresh = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await f.client.refresh(*token.refresh_token);
        });
        CHECK(old_refresh.code() == oauth2::errc::invalid_grant);
        CHECK(old_refresh.needs_reauthorization());
        auto old_access = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await f.client.get_current_user(token);
        });
        CHECK(old_access.code() == oauth2::errc::unauthorized);

        co_await f.client.revoke(*rotated.refresh_token, oauth2::token_type_hint::refresh_token);
        auto revoked = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await f.client.get_current_user(rotated);
        });
        CHECK(revoked.code() == oauth2::errc::unauthorized);
        CHECK(revoked.discord_code() == 0);
        co_await f.client.revoke(secret("never-issued")); // RFC 7009: fine
    }());
}

TEST_CASE("a missing scope is refused locally, without a request")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes_2{"identify"};
        auto token = co_await f.authorize(scopes_2);
        auto before = f.discord.calls("GET /api/v10/users/@me/connections");
        auto e = co_await test::expect_error([&]() -> asio::awaitable<void> { co_await f.client.get_connections(token); });
        CHECK(e.code() == oauth2::errc::missing_scope);
        CHECK(std::string(e.what()).find("'connections'") != std::string::npos);
        CHECK(f.discord.calls("GET /api/v10/users/@me/connections") == before);
    }());
}

TEST_CASE("client credentials, a public PKCE client, and rate limits reported with retry-after")
{
    auto o = fixture::auto_approving();
    o.rate_limits.routes["users_me"] = {1, 10s};
    fixture f(o);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify", "connections"};
        auto owner = co_await f.client.client_credentials(scopes);
        CHECK_FALSE(owner.refresh_token);
        auto me = co_await f.client.get_current_user(owner);
        CHECK(me.id == snowflake(268473310986240001ULL));
        // Waiting 10 s is more than this client is willing to: it says so instead.
        auto impatient_config = f.client.config();
        impatient_config.retries.max_rate_limit_wait = 1s;
        oauth2::client impatient(f.io.get_executor(), impatient_config);
        auto limited = co_await test::expect_error([&]() -> asio::awaitable<void> { co_await impatient.get_current_user(owner); });
        CHECK(limited.code() == oauth2::errc::rate_limited);
        REQUIRE(limited.retry_after());
        CHECK(*limited.retry_after() > 0);
        CHECK(limited.http_status() == 429);
    }());

    fixture pub(fixture::auto_approving(), false);
    test::run(pub.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes_3{"identify"};
        auto token = co_await pub.authorize(scopes_3);
        CHECK((co_await pub.client.get_current_user(token)).username == "Nelly");
        auto no_secret = co_await test::expect_error([&]() -> asio::awaitable<void> {
            std::vector<std::string> scopes{"identify"};
            co_await pub.client.client_credentials(scopes);
        });
        CHECK(no_secret.code() == oauth2::errc::invalid_argument);
    }());
}

TEST_CASE("an exchange whose answer is lost is not repeated: outcome_unknown")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> identify{"identify"};
        auto [link, code] = co_await f.code_for(identify);
        f.discord.add_fault(em::fault::parse("POST /oauth2/token reset-after"));
        auto calls_before = f.discord.calls("POST /api/v10/oauth2/token");
        auto lost = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await f.client.exchange_code(code, link.code_verifier);
        });
        CHECK(lost.code() == oauth2::errc::outcome_unknown);
        CHECK(std::string(lost.what()).find("not sent again") != std::string::npos);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token") == calls_before + 1); // exactly one attempt
        CHECK(f.discord.grants().grants().size() == 1); // it did take effect
    }());
}

TEST_CASE("over TLS with the emulator's certificate")
{
    auto o = fixture::auto_approving();
    o.tls = true;
    o.tls_directory = (std::filesystem::temp_directory_path() / ("client-tls-" + std::to_string(::getpid()))).string();
    asio::io_context io;
    em::emulator discord(io.get_executor(), o);
    discord.start();
    oauth2::client_config c;
    c.client_id = confidential_id;
    c.client_secret = secret(confidential_secret);
    c.redirect_uri = redirect;
    c.endpoints = oauth2::endpoints::under(discord.url());
    c.ca_file = *discord.ca_file();
    oauth2::client client(io.get_executor(), c);
    test::run(io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify"};
        auto token = co_await client.client_credentials(scopes);
        CHECK((co_await client.get_current_user(token)).username == "discord");
    }());
    std::filesystem::remove_all(o.tls_directory);
}

TEST_CASE("add_guild_member tells added from already a member; role connections with local limits")
{
    auto o = fixture::auto_approving();
    asio::io_context io;
    em::emulator discord(io.get_executor(), o);
    discord.start();
    oauth2::client_config c;
    c.client_id = confidential_id;
    c.client_secret = secret(confidential_secret);
    c.redirect_uri = redirect;
    c.endpoints = oauth2::endpoints::under(discord.url());
    c.bot_token = secret("emulator-airhorn-bot-token.0123456789");
    oauth2::client client(io.get_executor(), c);
    http::client browser(io.get_executor());
    auto flow = [&](oauth2::authorization_request request, std::string user) -> asio::awaitable<oauth2::access_token> {
        auto link = client.authorization_url(request);
        http::request r;
        r.url = link.url + "&emulator_user=" + user;
        auto response = co_await browser.send(std::move(r));
        auto location = std::string(*response.fields.find("location"));
        auto p = *url::parse_query(location.substr(location.find('?') + 1));
        co_return co_await client.exchange_code(fixture::value(p, "code"), link.code_verifier);
    };
    test::run(io, [&]() -> asio::awaitable<void> {
        oauth2::authorization_request bot;
        bot.scopes = {"bot"};
        bot.guild_id = snowflake(80351110224678912ULL);
        auto bot_token = co_await flow(bot, "80351110224678912");
        REQUIRE(bot_token.guild);
        CHECK(bot_token.guild->name == "1337 Krew");

        oauth2::authorization_request join;
        join.scopes = {"identify", "guilds.join", "role_connections.write"};
        auto user_token = co_await flow(join, "613425648685547541");
        oauth2::add_member_options options;
        options.nick = "小龙";
        auto first = co_await client.add_guild_member(user_token, snowflake(80351110224678912ULL),
                                                      snowflake(613425648685547541ULL), options);
        CHECK(first.added);
        REQUIRE(first.member);
        CHECK(first.member->nick == "小龙");
        auto second = co_await client.add_guild_member(user_token, snowflake(80351110224678912ULL),
                                                       snowflake(613425648685547541ULL));
        CHECK_FALSE(second.added);
        CHECK_FALSE(second.member);

        auto empty = co_await client.get_role_connection(user_token);
        CHECK(empty.metadata.empty());
        oauth2::role_connection rc;
        rc.platform_name = "Chess Club";
        rc.metadata["elo"] = "1800";
        auto stored = co_await client.update_role_connection(user_token, rc);
        CHECK(stored.platform_name == "Chess Club");
        CHECK(stored.metadata.at("elo") == "1800");
        CHECK((co_await client.get_role_connection(user_token)).metadata.at("elo") == "1800");

        auto calls = discord.calls("PUT /api/v10/users/@me/applications/{application}/role-connection");
        oauth2::role_connection too_many;
        for (auto k : {"a", "b", "c", "d", "e", "f"})
            too_many.metadata[k] = "1";
        auto refused = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await client.update_role_connection(user_token, too_many);
        });
        CHECK(refused.code() == oauth2::errc::invalid_argument);
        oauth2::role_connection bad_key;
        bad_key.metadata["Bad-Key"] = "1";
        auto refused_key = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await client.update_role_connection(user_token, bad_key);
        });
        CHECK(std::string(refused_key.what()).find("Bad-Key") != std::string::npos);
        CHECK(discord.calls("PUT /api/v10/users/@me/applications/{application}/role-connection") == calls);

        co_await client.delete_role_connection(user_token);
        CHECK_FALSE((co_await client.get_role_connection(user_token)).platform_name);
    }());
}

TEST_CASE("the implicit grant's fragment parses into a usable token; an error fragment throws")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        oauth2::authorization_request request;
        request.scopes = {"identify"};
        request.response_type = oauth2::response_type::token;
        auto link = f.client.authorization_url(request);
        CHECK_FALSE(link.code_verifier);
        http::request r;
        r.url = link.url;
        auto response = co_await f.browser.send(std::move(r));
        auto location = std::string(*response.fields.find("location"));
        auto grant = oauth2::parse_implicit_fragment(location.substr(location.find('#')));
        CHECK(grant.state == link.state);
        CHECK(grant.token.expires_in == 604800s);
        CHECK_FALSE(grant.token.refresh_token);
        CHECK((co_await f.client.get_current_user(grant.token)).username == "Nelly");
    }());
    try {
        (void)oauth2::parse_implicit_fragment("#error=access_denied&error_description=The+resource+owner+denied&state=s");
        FAIL("an error fragment was accepted");
    } catch (const oauth2::error& e) {
        CHECK(e.code() == oauth2::errc::access_denied);
        CHECK(e.description() == "The resource owner denied");
    }
    CHECK_THROWS_AS((void)oauth2::parse_implicit_fragment("state=x"), oauth2::error);
}

TEST_CASE("rate limits are waited out: a known empty bucket before sending, a 429 after")
{
    auto o = fixture::auto_approving();
    o.rate_limits.routes["users_me"] = {1, 1500ms};
    fixture f(o);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify"};
        auto token = co_await f.client.client_credentials(scopes);
        CHECK((co_await f.client.get_current_user(token)).username == "discord");
        // The headers said the bucket is empty: the client waits for its reset instead of failing.
        CHECK((co_await f.client.get_current_user(token)).username == "discord");
        CHECK(f.discord.invalid_requests() == 0);

        // A second client does not know the bucket: it meets a 429, waits Retry-After, succeeds.
        oauth2::client stranger(f.io.get_executor(), f.client.config());
        CHECK((co_await stranger.get_current_user(token)).username == "discord");
        CHECK(f.discord.invalid_requests() == 1);
    }());
}

namespace {

// A token of `user` (an emulator user id) for `scopes`, through the code flow.
// No default argument and no braced temporaries at the call sites: g++ 12 (docs/compilers.md).
asio::awaitable<oauth2::access_token> token_of(fixture& f, std::string user, std::vector<std::string> scopes,
                                               std::optional<snowflake> guild)
{
    oauth2::authorization_request request;
    request.scopes = std::move(scopes);
    request.guild_id = guild;
    auto link = f.client.authorization_url(request);
    auto p = co_await f.follow(link.url + "&emulator_user=" + user);
    co_return co_await f.client.exchange_code(fixture::value(p, "code"), link.code_verifier);
}

const std::string nelly = "80351110224678912", discord_user = "268473310986240001", zoe = "175928847299117063",
                  xiaolong = "613425648685547541";

} // namespace

TEST_CASE("one user's limits never hold another: buckets and the global limit per credential")
{
    auto o = fixture::auto_approving();
    o.rate_limits.global = {11, 10s};
    fixture f(o);
    // Waiting out another user's 10-second window would exceed this: it would be rate_limited.
    auto config = f.client.config();
    config.retries.max_rate_limit_wait = 1s;
    oauth2::client client(f.io.get_executor(), config);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify", "connections"};
        std::optional<snowflake> no_guild;
        auto a = co_await token_of(f, nelly, scopes, no_guild);
        // User A reads their connections ten times: A's bucket is spent for ten seconds.
        for (int i = 0; i < 10; ++i)
            (void)co_await client.get_connections(a);
        auto spent = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await client.get_connections(a); });
        CHECK(spent.code() == oauth2::errc::rate_limited);
        // B, C and D read theirs at once.
        for (const auto& user : {discord_user, zoe, xiaolong}) {
            CAPTURE(user);
            auto t = co_await token_of(f, user, scopes, no_guild);
            auto connections = co_await client.get_connections(t);
            (void)connections;
        }
        // A's global limit (11 in 10 s here) ends with two more reads on another route: a global
        // 429 for A, and B goes on.
        (void)co_await client.get_current_user(a);
        auto global = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await client.get_current_user(a); });
        CHECK(global.code() == oauth2::errc::rate_limited);
        auto b = co_await token_of(f, discord_user, scopes, no_guild);
        auto user = co_await client.get_current_user(b);
        CHECK(user.username == "discord");
    }());
}

TEST_CASE("one guild's spent member-add bucket does not delay another guild")
{
    auto o = fixture::auto_approving();
    o.rate_limits.routes["guild_join"] = {2, 10s};
    fixture f(o);
    auto config = f.client.config();
    config.bot_token = secret("emulator-airhorn-bot-token.0123456789");
    config.retries.max_rate_limit_wait = 1s;
    oauth2::client client(f.io.get_executor(), config);
    const snowflake krew{80351110224678912ULL}, cafe{290926798626357250ULL}, member{613425648685547541ULL};
    test::run(f.io, [&]() -> asio::awaitable<void> {
        // Nelly adds the bot to both of her guilds; Xiaolong grants guilds.join.
        std::vector<std::string> bot{"bot"}, join{"identify", "guilds.join"};
        std::optional<snowflake> to_krew = krew, to_cafe = cafe, no_guild;
        (void)co_await token_of(f, nelly, bot, to_krew);
        (void)co_await token_of(f, nelly, bot, to_cafe);
        auto joining = co_await token_of(f, xiaolong, join, no_guild);
        auto first = co_await client.add_guild_member(joining, krew, member);
        CHECK(first.added);
        auto second = co_await client.add_guild_member(joining, krew, member);
        CHECK_FALSE(second.added);
        auto spent = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await client.add_guild_member(joining, krew, member);
        });
        CHECK(spent.code() == oauth2::errc::rate_limited);
        auto elsewhere = co_await client.add_guild_member(joining, cafe, member); // already a member there
        CHECK_FALSE(elsewhere.added);
        CHECK(f.discord.invalid_requests() == 0); // krew's 429 was known before sending, never drawn
    }());
}

TEST_CASE("retries: reads on 503 and lost connections; never a code exchange")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify"};
        auto token = co_await f.client.client_credentials(scopes);
        f.discord.add_fault(em::fault::parse("GET /users/@me status=503 every=2"));
        auto before = f.discord.calls("GET /api/v10/users/@me");
        CHECK((co_await f.client.get_current_user(token)).username == "discord");
        CHECK((co_await f.client.get_current_user(token)).username == "discord"); // 503, retried
        CHECK(f.discord.calls("GET /api/v10/users/@me") == before + 3);
        f.discord.clear_faults();

        f.discord.add_fault(em::fault::parse("GET /users/@me reset-before every=2"));
        CHECK((co_await f.client.get_current_user(token)).username == "discord");
        CHECK((co_await f.client.get_current_user(token)).username == "discord"); // reset, retried
        f.discord.clear_faults();

        std::vector<std::string> identify{"identify"};
        auto [link, code] = co_await f.code_for(identify);
        f.discord.add_fault(em::fault::parse("POST /oauth2/token status=503"));
        auto exchanges = f.discord.calls("POST /api/v10/oauth2/token");
        auto failed = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await f.client.exchange_code(code, link.code_verifier);
        });
        CHECK(failed.code() == oauth2::errc::server_error);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token") == exchanges + 1);
    }());
}

TEST_CASE("after repeated 401s the client stops sending for a while")
{
    fixture f;
    auto careful_config = f.client.config();
    careful_config.retries.invalid_request_limit = 3;
    oauth2::client careful(f.io.get_executor(), careful_config);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        oauth2::access_token forged;
        forged.token = secret("forged-token");
        forged.scopes = {"identify"};
        for (int i = 0; i < 3; ++i) {
            auto e = co_await test::expect_error([&]() -> asio::awaitable<void> { co_await careful.get_current_user(forged); });
            CHECK(e.code() == oauth2::errc::unauthorized);
        }
        auto sent = f.discord.calls("GET /api/v10/users/@me");
        auto stopped = co_await test::expect_error([&]() -> asio::awaitable<void> { co_await careful.get_current_user(forged); });
        CHECK(stopped.code() == oauth2::errc::unauthorized);
        CHECK(std::string(stopped.what()).find("bans callers that keep failing") != std::string::npos);
        CHECK(f.discord.calls("GET /api/v10/users/@me") == sent); // nothing went out

        // Only that credential is stopped: another user's token and the token endpoint still work,
        // and other users' dead tokens, one failure each, stop nobody.
        for (int i = 0; i < 5; ++i) {
            oauth2::access_token dead;
            dead.token = secret("revoked-" + std::to_string(i));
            dead.scopes = {"identify"};
            auto e = co_await test::expect_error([&]() -> asio::awaitable<void> { co_await careful.get_current_user(dead); });
            CHECK(e.code() == oauth2::errc::unauthorized);
            CHECK(std::string(e.what()).find("bans callers") == std::string::npos);
        }
        std::vector<std::string> identify{"identify"};
        auto [link, code] = co_await f.code_for(identify);
        auto live = co_await careful.exchange_code(code, link.code_verifier);
        CHECK((co_await careful.get_current_user(live)).id == oauth2::snowflake(80351110224678912ULL));
    }());
}

TEST_CASE("operations are cancellable through their cancellation slot")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify"};
        auto token = co_await f.client.client_credentials(scopes);
        f.discord.add_fault(em::fault::parse("GET /users/@me latency=5000"));
        using namespace asio::experimental::awaitable_operators;
        asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
        auto winner = co_await (f.client.get_current_user(token) || timer.async_wait(asio::use_awaitable));
        CHECK(winner.index() == 1);

        asio::cancellation_signal signal;
        std::exception_ptr outcome;
        bool done = false;
        asio::co_spawn(co_await asio::this_coro::executor, f.client.get_current_user(token),
                       asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, oauth2::user) {
                           outcome = e;
                           done = true;
                       }));
        co_await test::sleep(100ms);
        signal.emit(asio::cancellation_type::terminal);
        for (int i = 0; i < 200 && !done; ++i)
            co_await test::sleep(5ms);
        REQUIRE(done);
        try {
            std::rethrow_exception(outcome);
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::cancelled);
        }
        f.discord.clear_faults();
        CHECK((co_await f.client.get_current_user(token)).username == "discord"); // still usable
    }());
}

TEST_CASE("1,000 authorization flows at once on one thread")
{
    auto o = fixture::auto_approving();
    o.rate_limits.enabled = false;
    fixture f(o);
    constexpr int flows = 1000;
    int completed = 0;
    int finished = 0;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < flows; ++i)
            asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
                std::vector<std::string> scopes{"identify", "guilds"};
                auto token = co_await f.authorize(scopes);
                auto me = co_await f.client.get_current_user(token);
                oauth2::client::guild_page page;
                auto guilds = co_await f.client.get_guilds(token, page);
                if (me.username == "Nelly" && guilds.size() == 3)
                    ++completed;
                ++finished;
            }, asio::detached);
        while (finished < flows)
            co_await test::sleep(20ms);
    }(), std::chrono::seconds(180));
    CHECK(completed == flows);
    CHECK(f.discord.grants().grants().size() == flows);
}

TEST_CASE("get_all_guilds walks every page as it is consumed")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify", "guilds"};
        auto token = co_await f.authorize(scopes);
        oauth2::guild_page everything;
        auto expected = co_await f.client.get_guilds(token, everything);
        REQUIRE(expected.size() == 3);

        for (int limit : {1, 2, 3, 200}) {
            CAPTURE(limit);
            oauth2::guild_page page;
            page.limit = limit;
            auto before = f.discord.calls("GET /api/v10/users/@me/guilds");
            auto stream = f.client.get_all_guilds(token, page);
            CHECK(stream.pages_fetched() == 0); // nothing is fetched before it is consumed
            std::vector<snowflake> seen;
            while (auto g = co_await stream.next())
                seen.push_back(g->id);
            REQUIRE(seen.size() == expected.size());
            for (std::size_t i = 0; i < seen.size(); ++i)
                CHECK(seen[i] == expected[i].id);
            // Full pages are followed by one more request; a short page ends it.
            int pages = limit == 1 ? 4 : limit == 2 ? 2 : limit == 3 ? 2 : 1;
            CHECK(stream.pages_fetched() == pages);
            CHECK(f.discord.calls("GET /api/v10/users/@me/guilds") == before + static_cast<std::uint64_t>(pages));
            CHECK_FALSE(co_await stream.next()); // and it stays ended, without requests
            CHECK(stream.pages_fetched() == pages);
        }

        oauth2::guild_page from_second;
        from_second.after = expected[0].id;
        from_second.limit = 1;
        auto rest = f.client.get_all_guilds(token, from_second);
        auto first_page = co_await rest.next_page();
        REQUIRE(first_page.size() == 1);
        CHECK(first_page[0].id == expected[1].id);
        auto g = co_await rest.next();
        REQUIRE(g);
        CHECK(g->id == expected[2].id);
        CHECK((co_await rest.next_page()).empty());

        oauth2::guild_page backwards;
        backwards.before = expected[2].id;
        CHECK_THROWS_AS((void)f.client.get_all_guilds(token, backwards), oauth2::error);
        oauth2::guild_page too_big;
        too_big.limit = 201;
        CHECK_THROWS_AS((void)f.client.get_all_guilds(token, too_big), oauth2::error);
        std::vector<std::string> identify{"identify"};
        auto no_guilds = co_await f.authorize(identify);
        try {
            (void)f.client.get_all_guilds(no_guilds);
            FAIL("a token without the guilds scope was accepted");
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::missing_scope);
        }
    }());
}

TEST_CASE("the logger hears about requests, retries and waits, and never a secret")
{
    fixture f;
    std::vector<std::pair<oauth2::log_level, std::string>> lines;
    auto config = f.config(true);
    config.logger = [&](oauth2::log_level level, std::string_view message) { lines.emplace_back(level, message); };
    config.retries.backoff = 1ms;
    oauth2::client logged(f.io.get_executor(), config);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        oauth2::authorization_request request;
        request.scopes = {"identify"};
        auto link = logged.authorization_url(request);
        auto redirect_params = co_await f.follow(link.url);
        auto code = f.value(redirect_params, "code");
        auto token = co_await logged.exchange_code(code, link.code_verifier);
        f.discord.add_fault(em::fault::parse("GET /users/@me status=503 every=2"));
        (void)co_await logged.get_current_user(token);
        (void)co_await logged.get_current_user(token); // 503, retried
        f.discord.clear_faults();
        auto refreshed = co_await logged.refresh(*token.refresh_token);
        co_await logged.revoke(refreshed.token);

        auto has = [&](oauth2::log_level level, std::string_view text) {
            for (const auto& [l, m] : lines)
                if (l == level && m.find(text) != std::string::npos)
                    return true;
            return false;
        };
        CHECK(has(oauth2::log_level::debug, "the code exchange: 200 in "));
        CHECK(has(oauth2::log_level::debug, "GET /users/@me: 200 in "));
        CHECK(has(oauth2::log_level::warning, "GET /users/@me: 503; retrying in "));
        CHECK(has(oauth2::log_level::debug, "the token refresh: 200"));
        CHECK(has(oauth2::log_level::debug, "the revocation: 200"));
        CHECK(oauth2::to_string(oauth2::log_level::warning) == "warning");
        std::vector<std::string> secrets{code, confidential_secret, token.token.reveal(), token.refresh_token->reveal(),
                                         refreshed.token.reveal(), link.code_verifier->reveal()};
        for (const auto& [level, message] : lines)
            for (const auto& s : secrets) {
                CAPTURE(message);
                CHECK(message.find(s) == std::string::npos);
            }
    }());
}

TEST_CASE("endpoints::under takes the host root, /api and /api/vN alike")
{
    const char* bases[] = {"https://discord.com", "https://discord.com/", "https://discord.com/api",
                           "https://discord.com/api/", "https://discord.com/api/v10", "https://discord.com/api/v9/"};
    oauth2::endpoints discord_default;
    for (const char* base : bases) {
        CAPTURE(base);
        auto e = oauth2::endpoints::under(base);
        CHECK(e.issuer == "https://discord.com");
        CHECK(e.authorize == discord_default.authorize);
        CHECK(e.token == discord_default.token);
        CHECK(e.revoke == discord_default.revoke);
        CHECK(e.api == discord_default.api);
    }
    // A path of one's own stays (a proxy under a prefix); only Discord's /api[/vN] is taken off.
    CHECK(oauth2::endpoints::under("http://127.0.0.1:4000/discord").api == "http://127.0.0.1:4000/discord/api/v10");
    CHECK(oauth2::endpoints::under("http://127.0.0.1:4000/apis").issuer == "http://127.0.0.1:4000/apis");
    CHECK(oauth2::endpoints::under("http://127.0.0.1:4000/api/version").issuer == "http://127.0.0.1:4000/api/version");
}

TEST_CASE("endpoints discovered from the issuer's metadata work; a mismatched or insecure issuer does not")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto found = co_await oauth2::discover_endpoints(f.io.get_executor(), f.discord.url() + "/");
        CHECK(found.issuer == f.discord.url());
        CHECK(found.authorize == f.discord.url() + "/oauth2/authorize");
        CHECK(found.token == f.discord.url() + "/api/oauth2/token");
        CHECK(found.revoke == f.discord.url() + "/api/oauth2/token/revoke");
        CHECK(found.api == f.discord.url() + "/api/v10");

        auto config = f.config(true);
        config.endpoints = found;
        oauth2::client discovered(f.io.get_executor(), config);
        oauth2::authorization_request request;
        request.scopes = {"identify"};
        auto link = discovered.authorization_url(request);
        auto p = co_await f.follow(link.url);
        auto token = co_await discovered.exchange_code(f.value(p, "code"), link.code_verifier);
        CHECK((co_await discovered.get_current_user(token)).id == snowflake(80351110224678912ULL));
        co_await discovered.revoke(token.token);

        // The same server reached by another name names an issuer that is not the one asked for.
        auto port = f.discord.url().substr(f.discord.url().rfind(':'));
        auto other_name = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await oauth2::discover_endpoints(f.io.get_executor(), "http://localhost" + port);
        });
        CHECK(other_name.code() == oauth2::errc::invalid_response);
        CHECK(std::string(other_name.what()).find("another issuer") != std::string::npos);

        auto insecure = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await oauth2::discover_endpoints(f.io.get_executor(), "http://discord.example");
        });
        CHECK(insecure.code() == oauth2::errc::invalid_response);

        auto missing = co_await test::expect_error([&]() -> asio::awaitable<void> {
            co_await oauth2::discover_endpoints(f.io.get_executor(), f.discord.url() + "/nothing-here");
        });
        CHECK(missing.code() == oauth2::errc::not_found);
    }());
}

TEST_CASE("the application behind the bot token: read, its event webhook settings changed, bad changes refused")
{
    // Nothing listens at the URL set here: the emulator's PING of a new URL (webhook_delivery_test)
    // is off, this case is about the client's side.
    auto o = fixture::auto_approving();
    o.check_event_webhook_urls = false;
    fixture f(std::move(o));
    auto c = f.config(true);
    c.bot_token = secret("emulator-airhorn-bot-token.0123456789");
    oauth2::client bot(f.io.get_executor(), c);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto app = co_await bot.get_current_application();
        CHECK(app.id == confidential_id);
        CHECK(app.verify_key.size() == 64);
        auto as_oauth2 = co_await bot.get_oauth2_application();
        CHECK(as_oauth2.id == confidential_id);
        CHECK(as_oauth2.verify_key == app.verify_key);
        REQUIRE(app.redirect_uris);
        CHECK_FALSE(app.redirect_uris->empty());
        CHECK(app.event_webhooks_status == 1);
        CHECK_FALSE(app.event_webhooks_url);

        oauth2::application_changes changes;
        changes.event_webhooks_url = "http://127.0.0.1:5999/discord/events";
        changes.event_webhooks_status = 2;
        changes.event_webhooks_types = std::vector<std::string>{"APPLICATION_AUTHORIZED", "APPLICATION_DEAUTHORIZED"};
        auto changed = co_await bot.edit_current_application(changes);
        CHECK(changed.event_webhooks_url == "http://127.0.0.1:5999/discord/events");
        CHECK(changed.event_webhooks_status == 2);
        CHECK(changed.event_webhooks_types == std::vector<std::string>{"APPLICATION_AUTHORIZED", "APPLICATION_DEAUTHORIZED"});
        auto read_back = co_await bot.get_current_application();
        CHECK(read_back.event_webhooks_url == changed.event_webhooks_url);

        // Checked before sending: nothing reaches Discord.
        oauth2::application_changes bad;
        bad.event_webhooks_url = "http://bot.example.com/events"; // plain http off loopback
        auto e1 = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await bot.edit_current_application(bad); });
        CHECK(e1.code() == oauth2::errc::invalid_argument);
        bad = {};
        bad.event_webhooks_status = 3; // Discord's to set, not the application's
        auto e2 = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await bot.edit_current_application(bad); });
        CHECK(e2.code() == oauth2::errc::invalid_argument);
        bad = {};
        bad.event_webhooks_types = std::vector<std::string>{"application_authorized"};
        auto e3 = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await bot.edit_current_application(bad); });
        CHECK(e3.code() == oauth2::errc::invalid_argument);
        // Without a bot token there is nothing to ask with.
        auto e4 = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await f.client.get_current_application(); });
        CHECK(e4.code() == oauth2::errc::invalid_argument);
        // Turning events off again, and removing the URL.
        oauth2::application_changes off;
        off.event_webhooks_status = 1;
        off.event_webhooks_url = "";
        auto after = co_await bot.edit_current_application(off);
        CHECK(after.event_webhooks_status == 1);
        CHECK_FALSE(after.event_webhooks_url);
    }());
}

TEST_CASE("role connection metadata: records replaced and read back; Discord's limits checked before sending")
{
    fixture f;
    auto c = f.config(true);
    c.bot_token = secret("emulator-airhorn-bot-token.0123456789");
    oauth2::client bot(f.io.get_executor(), c);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        CHECK((co_await bot.get_role_connection_metadata()).empty());

        std::vector<oauth2::role_connection_metadata> records(2);
        records[0].type = oauth2::role_metadata_type::integer_greater_than_or_equal;
        records[0].key = "matches_won";
        records[0].name = "Matches won";
        records[0].description = "Ranked matches won";
        records[0].name_localizations = {{"de", "Gewonnene Spiele"}, {"pt-BR", "Partidas vencidas"}};
        records[1].type = oauth2::role_metadata_type::boolean_equal;
        records[1].key = "verified_player";
        records[1].name = "Verified player";
        records[1].description = "Linked a verified game account";
        records[1].description_localizations = {{"ja", "認証済みのゲームアカウント"}};
        auto stored = co_await bot.update_role_connection_metadata(records);
        REQUIRE(stored.size() == 2);
        auto read = co_await bot.get_role_connection_metadata();
        REQUIRE(read.size() == 2);
        for (const auto* got : {&stored, &read}) {
            CHECK((*got)[0].type == oauth2::role_metadata_type::integer_greater_than_or_equal);
            CHECK((*got)[0].key == "matches_won");
            CHECK((*got)[0].name_localizations == records[0].name_localizations);
            CHECK((*got)[0].description_localizations.empty());
            CHECK((*got)[1].type == oauth2::role_metadata_type::boolean_equal);
            CHECK((*got)[1].description_localizations == records[1].description_localizations);
        }

        // Each of Discord's limits, refused here without a request.
        auto puts = f.discord.calls("PUT /api/v10/applications/{application}/role-connections/metadata");
        auto refused = [&](const std::vector<oauth2::role_connection_metadata>& bad, std::string_view expected) -> asio::awaitable<void> {
            auto e = co_await test::expect_error([&]() -> asio::awaitable<void> {
                (void)co_await bot.update_role_connection_metadata(bad);
            });
            CHECK(e.code() == oauth2::errc::invalid_argument);
            CHECK_MESSAGE(std::string(e.what()).find(expected) != std::string::npos, e.what());
        };
        auto six = std::vector<oauth2::role_connection_metadata>(6, records[0]);
        co_await refused(six, "at most 5 records");
        auto bad = records;
        bad[1].type = static_cast<oauth2::role_metadata_type>(9);
        co_await refused(bad, "metadata[1]: type must be 1 to 8");
        bad = records;
        bad[0].key = "Matches-Won";
        co_await refused(bad, "key 'Matches-Won'");
        bad = records;
        bad[0].key = std::string(51, 'k');
        co_await refused(bad, "is not 1 to 50");
        bad = records;
        bad[1].key = bad[0].key;
        co_await refused(bad, "used by an earlier record");
        bad = records;
        bad[0].name = std::string(101, 'n');
        co_await refused(bad, "name must be 1 to 100 characters, not 101");
        bad = records;
        bad[0].description = "";
        co_await refused(bad, "description must be 1 to 200 characters, not 0");
        bad = records;
        bad[0].name_localizations["xx-YY"] = "?";
        co_await refused(bad, "'xx-YY', which is not one of Discord's locales");
        bad = records;
        bad[1].description_localizations["ja"] = std::string(201, 'd');
        co_await refused(bad, "description_localizations.ja must be 1 to 200");
        CHECK(f.discord.calls("PUT /api/v10/applications/{application}/role-connections/metadata") == puts);

        // Two hundred characters of CJK are 600 bytes and still within the limit.
        bad = records;
        std::string long_japanese;
        for (int i = 0; i < 200; ++i)
            long_japanese += "語";
        bad[1].description = long_japanese;
        CHECK((co_await bot.update_role_connection_metadata(bad))[1].description == long_japanese);
        std::vector<oauth2::role_connection_metadata> none;
        CHECK((co_await bot.update_role_connection_metadata(none)).empty());
        CHECK((co_await bot.get_role_connection_metadata()).empty());
    }());
}
