// The web server's linked roles verification URL (lib/web/linked_roles.cpp) over loopback, against
// the emulator: the path sends whoever opens it to Discord's consent with role_connections.write
// and identify, the callback must come back to the same browser, and the bot's hook decides the
// role connection that is pushed to Discord.
#include "emulator.hpp"
#include "http/client.hpp"
#include "server/free_port.hpp"
#include "support/query_param.hpp"
#include "support/run.hpp"
#include "support/web_flow.hpp"

#include "core/url_encoding.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <doctest/doctest.h>

#include <map>
#include <stdexcept>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using oauth2::event_kind;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake nelly{80351110224678912ULL};

struct fixture {
    asio::io_context io;
    std::string redirect = "http://127.0.0.1:" + std::to_string(oauth2::server::free_port()) + "/discord/callback";
    em::emulator discord;
    oauth2::client client;
    http::client browser;
    std::optional<oauth2::web_server> web;
    std::vector<snowflake> hook_calls;
    std::vector<std::string> usernames;

    explicit fixture()
        : discord(io.get_executor(), test::flow_emulator_options(redirect)),
          client(io.get_executor(), (discord.start(), test::flow_client_config(discord.url(), redirect))),
          browser(io.get_executor())
    {
    }

    void start(decltype(oauth2::web_server_config::linked_roles_hook) hook,
               oauth2::web_server_config c = oauth2::web_server_config{})
    {
        c.linked_roles_path = "/discord/linked-role";
        c.linked_roles_hook = std::move(hook);
        web.emplace(io.get_executor(), client, c);
        web->start();
    }

    std::string origin() const { return "http://127.0.0.1:" + std::to_string(web->port()); }

    struct visit {
        std::string cookie;   // what the linked roles path set: "name=value"
        std::string callback; // the callback URL Discord redirected to
    };

    // A person opening the linked roles URL and authorizing at the emulator, up to (not
    // including) the callback.
    asio::awaitable<visit> authorize_from_linked_roles()
    {
        http::request open{.method = "GET", .url = origin() + "/discord/linked-role"};
        auto start = co_await browser.send(open);
        CHECK(start.status == 302);
        auto set_cookie = std::string(start.fields.find("set-cookie").value_or(""));
        CHECK(set_cookie.find("HttpOnly") != std::string::npos);
        CHECK(set_cookie.find("SameSite=Lax") != std::string::npos);
        auto location = std::string(start.fields.find("location").value_or(""));
        CHECK_MESSAGE(location.find("scope=role_connections.write%20identify") != std::string::npos, location);
        CHECK(location.find("code_challenge") == std::string::npos); // Discord refuses PKCE here
        http::request consent{.method = "GET", .url = location + "&emulator_user=" + nelly.to_string()};
        auto redirect = co_await browser.send(consent);
        CHECK(redirect.status == 302);
        co_return visit{set_cookie.substr(0, set_cookie.find(';')), std::string(redirect.fields.find("location").value_or(""))};
    }

    asio::awaitable<http::response> finish(const visit& v, std::string_view cookie)
    {
        http::request r{.method = "GET", .url = v.callback};
        if (!cookie.empty())
            r.fields.add("Cookie", "theme=dark; " + std::string(cookie));
        co_return co_await browser.send(std::move(r));
    }
};

} // namespace

TEST_CASE("the linked roles URL: whoever opens it authorizes, the hook's role connection reaches Discord")
{
    fixture f;
    f.start([&](const oauth2::user& who, const oauth2::access_token& token) -> asio::awaitable<std::optional<oauth2::role_connection>> {
        f.hook_calls.push_back(who.id);
        CHECK(token.has_scope("role_connections.write"));
        oauth2::role_connection rc;
        rc.platform_name = "Example Game";
        rc.platform_username = who.username;
        f.usernames.push_back(who.username);
        rc.metadata["matches_won"] = "12";
        co_return rc;
    });
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto events = f.web->events(oauth2::event_filter{event_kind::role_connection_updated, std::nullopt});
        auto pending = f.web->pending_count();
        auto v = co_await f.authorize_from_linked_roles();
        CHECK(f.web->pending_count() == pending); // a visit keeps nothing in memory

        auto page = co_await f.finish(v, v.cookie);
        CHECK(page.status == 200);
        CHECK(page.body.view().find("Your account is linked") != std::string_view::npos);
        CHECK(f.hook_calls == std::vector<snowflake>{nelly});
        auto e = co_await events.next_for(5s);
        REQUIRE(e);
        CHECK(e->user_id == nelly);

        // At Discord (the emulator): the role connection of nelly for the application.
        auto token = co_await f.web->access_token_for(nelly); // the grant was stored too
        REQUIRE(token);
        auto stored = co_await f.client.get_role_connection(*token);
        CHECK(stored.platform_name == "Example Game");
        CHECK(stored.platform_username == f.usernames.at(0));
        CHECK(stored.metadata.at("matches_won") == "12");
    }());
}

TEST_CASE("a linked roles callback opened in another browser is refused, and its owner can still finish")
{
    fixture f;
    f.start([&](const oauth2::user& who, const oauth2::access_token&) -> asio::awaitable<std::optional<oauth2::role_connection>> {
        f.hook_calls.push_back(who.id);
        co_return oauth2::role_connection{};
    });
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto v = co_await f.authorize_from_linked_roles();
        // Another browser: no cookie, or another visit's cookie.
        auto stranger = co_await f.finish(v, "");
        CHECK(stranger.status == 403);
        CHECK(stranger.body.view().find("in this browser") != std::string_view::npos);
        auto other_visit = co_await f.authorize_from_linked_roles();
        auto crossed = co_await f.finish(v, other_visit.cookie);
        CHECK(crossed.status == 403);
        CHECK(f.hook_calls.empty());
        CHECK_FALSE(co_await f.web->access_token_for(nelly));

        // The real cookie with a planted one beside it (another visit's, in the same header or
        // another): refused, rather than one of the two picked.
        auto doubled = co_await f.finish(v, v.cookie + "; " + other_visit.cookie);
        CHECK(doubled.status == 403);
        http::request two_fields{.method = "GET", .url = v.callback};
        two_fields.fields.add("Cookie", other_visit.cookie);
        two_fields.fields.add("Cookie", v.cookie);
        auto planted = co_await f.browser.send(std::move(two_fields));
        CHECK(planted.status == 403);

        // The person who started it still can.
        auto own = co_await f.finish(v, v.cookie);
        CHECK(own.status == 200);
        CHECK(f.hook_calls == std::vector<snowflake>{nelly});
    }());
}

TEST_CASE("a hook that fails, or pushes nothing: the person is told, the grant is kept, nothing is pushed")
{
    fixture f;
    bool fail = true;
    f.start([&](const oauth2::user&, const oauth2::access_token&) -> asio::awaitable<std::optional<oauth2::role_connection>> {
        if (fail)
            throw std::runtime_error("the game's API is down");
        co_return std::nullopt;
    });
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto errors = f.web->events(oauth2::event_filter{event_kind::error, std::nullopt});
        auto v = co_await f.authorize_from_linked_roles();
        auto page = co_await f.finish(v, v.cookie);
        CHECK(page.status == 502);
        CHECK(page.body.view().find("could not be updated") != std::string_view::npos);
        auto e = co_await errors.next_for(5s);
        REQUIRE(e);
        CHECK(e->where == "linked_roles");
        CHECK(e->message.find("the game's API is down") != std::string::npos);
        auto token = co_await f.web->access_token_for(nelly);
        REQUIRE(token);
        auto none = co_await f.client.get_role_connection(*token);
        CHECK_FALSE(none.platform_name);

        fail = false;
        auto again = co_await f.authorize_from_linked_roles();
        CHECK((co_await f.finish(again, again.cookie)).status == 200);
        CHECK_FALSE((co_await f.client.get_role_connection(*token)).platform_name);
    }());
}

namespace {

// What a flood of visit + denial pairs from one client met.
struct flood_tally {
    int visits = 0, visits_refused = 0;
    std::map<int, int> denials; // by status
    bool done = false;
};

// `pairs` visits of the linked roles path, each followed at once by a denial callback with its
// state and cookie and a 7 KB error_description, on one keep-alive client, as fast as it goes.
asio::awaitable<void> flood(fixture& f, int pairs, flood_tally& t)
{
    // Named first: g++ 12 destroys the defaulted options of a constructor call holding a co_await twice.
    auto ex = co_await asio::this_coro::executor;
    http::client attacker(ex);
    const std::string description = oauth2::url::percent_encode(std::string(7000, 'x'));
    for (int i = 0; i < pairs; ++i) {
        http::request open{.method = "GET", .url = f.origin() + "/discord/linked-role"};
        auto visit = co_await attacker.send(open);
        if (visit.status == 429) {
            ++t.visits_refused;
            CHECK(visit.fields.contains("retry-after"));
            continue;
        }
        REQUIRE(visit.status == 302);
        ++t.visits;
        auto cookie = std::string(visit.fields.find("set-cookie").value_or(""));
        auto state = test::query_param(std::string(visit.fields.find("location").value_or("")), "state");
        http::request deny{.method = "GET",
                           .url = f.redirect + "?error=access_denied&state=" + oauth2::url::percent_encode(state)
                               + "&error_description=" + description};
        deny.fields.add("Cookie", cookie.substr(0, cookie.find(';')));
        auto denied = co_await attacker.send(std::move(deny));
        ++t.denials[denied.status];
    }
    t.done = true;
}

} // namespace

TEST_CASE("a flood of linked roles visits and denials meets its limits while a real link completes beside it")
{
    for (std::size_t per_minute : {std::size_t{10}, std::size_t{0}}) {
        CAPTURE(per_minute);
        fixture f;
        oauth2::web_server_config c;
        c.max_pending = 64;
        c.linked_roles_per_minute = per_minute;
        f.start([](const oauth2::user&, const oauth2::access_token&) -> asio::awaitable<std::optional<oauth2::role_connection>> {
            co_return std::nullopt;
        }, c);
        test::run(f.io, [&]() -> asio::awaitable<void> {
            auto denials = f.web->events(oauth2::event_filter{event_kind::authorization_denied, std::nullopt});
            flood_tally t;
            asio::co_spawn(f.io, flood(f, 400, t), asio::detached);
            co_await test::sleep(20ms);

            // A user of the bot completes a link of their own meanwhile.
            std::vector<std::string_view> identify{"identify"};
            auto link = f.web->authorization_url(nelly, identify);
            std::optional<oauth2::authorization_result> result;
            asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
                result = co_await f.web->wait_for_access_token(nelly, link, 30s);
            }, asio::detached);
            http::request consent{.method = "GET", .url = link + "&emulator_user=" + nelly.to_string()};
            auto redirect = co_await f.browser.send(consent);
            REQUIRE(redirect.status == 302);
            http::request callback{.method = "GET", .url = std::string(redirect.fields.find("location").value_or(""))};
            auto page = co_await f.browser.send(std::move(callback));
            CHECK(page.status == 200);
            co_await test::wait_until([&] { return t.done && result; }, 60s);
            REQUIRE(result);
            CHECK(result->outcome == oauth2::authorization_outcome::authorized);

            // The flood met the per-client limit, or the caps of what is remembered.
            if (per_minute > 0) {
                CHECK(t.visits >= 10);
                CHECK(t.visits <= 12); // a token or two may refill while it runs
                CHECK(t.visits_refused == 400 - t.visits);
            } else {
                CHECK(t.visits == 400);
            }
            // A linked roles denial gets its page and nothing else: nothing spent, remembered or
            // published.
            CHECK(t.denials[403] == t.visits);
            CHECK(f.web->remembered_count() == 1); // the real link
            auto none = co_await denials.next_for(100ms);
            CHECK_FALSE(none);
            if (per_minute == 0) {
                // A real person completes the linked roles path after the flood, unhindered.
                auto v = co_await f.authorize_from_linked_roles();
                auto linked = co_await f.finish(v, v.cookie);
                CHECK(linked.status == 200);
            }
        }());
    }
}

TEST_CASE("made-up codes on linked roles states from one client: at most its limit reach Discord, another client links")
{
    fixture f;
    oauth2::web_server_config c;
    // This process plays a reverse proxy: the X-Forwarded-For it sets names each client.
    c.limits.trusted_proxies = {"127.0.0.1"};
    const auto per_client = c.exchanges_per_minute_per_client; // the default
    f.start([](const oauth2::user&, const oauth2::access_token&) -> asio::awaitable<std::optional<oauth2::role_connection>> {
        co_return std::nullopt;
    }, c);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        // Named first: g++ 12 destroys the defaulted options of a constructor call holding a co_await twice.
        auto ex = co_await asio::this_coro::executor;
        http::client attacker(ex);
        constexpr int pairs = 200;
        std::map<int, int> answers; // the callbacks' statuses
        auto exchanges = f.discord.calls("POST /api/v10/oauth2/token");
        auto started = std::chrono::steady_clock::now();
        for (int i = 0; i < pairs; ++i) {
            // Each visit from an address of its own (visits are limited per client too), every
            // callback from one: a visit's state and cookie, and a code nobody issued.
            http::request open{.method = "GET", .url = f.origin() + "/discord/linked-role"};
            open.fields.add("X-Forwarded-For", "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
            auto visit = co_await attacker.send(open);
            REQUIRE(visit.status == 302);
            auto cookie = std::string(visit.fields.find("set-cookie").value_or(""));
            auto state = test::query_param(std::string(visit.fields.find("location").value_or("")), "state");
            http::request callback{.method = "GET",
                                   .url = f.redirect + "?code=made-up&state=" + oauth2::url::percent_encode(state)};
            callback.fields.add("Cookie", cookie.substr(0, cookie.find(';')));
            callback.fields.add("X-Forwarded-For", "203.0.113.66");
            auto page = co_await attacker.send(std::move(callback));
            ++answers[page.status];
            if (page.status == 429)
                CHECK(page.fields.contains("retry-after"));
        }
        auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        auto exchanged = f.discord.calls("POST /api/v10/oauth2/token") - exchanges;
        // Its burst, and what its rate gave back while the flood ran (before the limit: 200).
        CHECK(exchanged >= per_client);
        CHECK(exchanged <= per_client + static_cast<std::uint64_t>(seconds * static_cast<double>(per_client) / 60) + 1);
        CHECK(answers[502] == static_cast<int>(exchanged)); // Discord refused each made-up code it saw
        CHECK(answers[429] == pairs - static_cast<int>(exchanged));
        CHECK(f.web->exchanges_refused() == static_cast<std::uint64_t>(answers[429]));

        // A real person, another client, links as usual.
        auto v = co_await f.authorize_from_linked_roles();
        auto linked = co_await f.finish(v, v.cookie);
        CHECK(linked.status == 200);
        CHECK(f.web->exchanges_refused() == static_cast<std::uint64_t>(answers[429]));
    }());
}

TEST_CASE("linked roles configuration: a path needs a hook, and the flow name is the path's own")
{
    asio::io_context io;
    oauth2::client c(io.get_executor(), test::flow_client_config("http://127.0.0.1:1", "http://127.0.0.1:53134/callback"));
    oauth2::web_server_config config;
    config.linked_roles_path = "/discord/linked-role";
    CHECK_THROWS_AS(oauth2::web_server(io.get_executor(), c, config), oauth2::error);
    config.linked_roles_hook = [](const oauth2::user&, const oauth2::access_token&)
        -> asio::awaitable<std::optional<oauth2::role_connection>> { co_return std::nullopt; };
    config.linked_roles_path = "/callback"; // the callback's own path
    CHECK_THROWS_AS(oauth2::web_server(io.get_executor(), c, config), oauth2::error);
    config.linked_roles_path = "linked-role";
    CHECK_THROWS_AS(oauth2::web_server(io.get_executor(), c, config), oauth2::error);
    config.linked_roles_path = "/linked-role";
    oauth2::web_server web(io.get_executor(), c, config);
    oauth2::authorization_options options;
    options.flow = "linked_roles";
    static const std::vector<std::string_view> scopes{"identify"};
    CHECK_THROWS_AS((void)web.authorization_url(nelly, scopes, options), oauth2::error);
}
