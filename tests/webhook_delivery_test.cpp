// The emulator's webhook events (tools/discord-emulator/event_deliveries.cpp) reaching the web
// server's events endpoint over loopback: signed with the application's own key pair, checked
// before a URL is kept, retried until delivered or given up, and the bad-signature PINGs that a
// correct endpoint refuses.
#include "emulator.hpp"
#include "http/client.hpp"
#include "server/free_port.hpp"
#include "server/server.hpp"
#include "support/authorize.hpp"
#include "support/run.hpp"
#include "support/web_flow.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using oauth2::event_kind;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake nelly{80351110224678912ULL};
const std::vector<std::string_view> identify{oauth2::scope::identify};
constexpr std::string_view airhorn_id = "159799960412356608";

std::string events_url(std::uint16_t port)
{
    return "http://127.0.0.1:" + std::to_string(port) + "/discord/events";
}

// Sets the application's event webhook (enabled, for `types`), as --event-webhook does.
void send_events(em::application& app, std::string url, std::vector<std::string> types)
{
    app.event_webhooks_url = std::move(url);
    app.event_webhooks_status = 2;
    app.event_webhooks_types = std::move(types);
}

struct fixture {
    using adjustment = std::function<void(em::options&, std::uint16_t web_port)>;

    asio::io_context io;
    std::uint16_t web_port = oauth2::server::free_port(); // the web server's, once started
    std::string redirect = "http://127.0.0.1:" + std::to_string(web_port) + "/discord/callback";
    em::emulator discord;
    oauth2::client client;
    oauth2::client bot;
    http::client browser;
    std::optional<oauth2::web_server> web;

    // An emulator with fast retries, the web server's redirect registered, then `adjust`ed.
    static em::options emulator_options(const std::string& redirect, std::uint16_t web_port, const adjustment& adjust)
    {
        auto o = test::flow_emulator_options(redirect);
        o.deliveries.first_retry = 50ms;
        o.deliveries.retry_for = 20s;
        if (adjust)
            adjust(o, web_port);
        return o;
    }

    explicit fixture(const adjustment& adjust = {})
        : discord(io.get_executor(), emulator_options(redirect, web_port, adjust)),
          client(io.get_executor(), (discord.start(), test::flow_client_config(discord.url(), redirect))),
          bot(io.get_executor(), bot_config()), browser(io.get_executor())
    {
    }

    oauth2::client_config bot_config() const
    {
        auto c = test::flow_client_config(discord.url(), redirect);
        c.bot_token = oauth2::secret("emulator-airhorn-bot-token.0123456789");
        return c;
    }

    // The web server on web_port, checking events with `verify_key` (the application's own by default).
    void start_web(std::optional<std::string> verify_key = std::nullopt)
    {
        oauth2::web_server_config c;
        c.key = oauth2::state_key::generate();
        c.port = web_port;
        c.events_path = "/discord/events";
        c.verify_key = verify_key.value_or(discord.world().applications.front().verify_key);
        web.emplace(io.get_executor(), client, c);
        web->start();
    }

    // Points the application's events at the web server through PATCH /applications/@me.
    asio::awaitable<oauth2::application> subscribe(std::string url)
    {
        oauth2::application_changes changes;
        changes.event_webhooks_url = std::move(url);
        changes.event_webhooks_status = 2;
        changes.event_webhooks_types = std::vector<std::string>{"APPLICATION_AUTHORIZED", "APPLICATION_DEAUTHORIZED",
                                                                "ENTITLEMENT_CREATE"};
        co_return co_await bot.edit_current_application(changes);
    }

    asio::awaitable<http::response> post_json(std::string path, std::string body)
    {
        http::request r;
        r.method = "POST";
        r.url = discord.url() + path;
        r.fields.add("Content-Type", "application/json");
        r.body = std::move(body);
        co_return co_await browser.send(std::move(r));
    }

    // The emulator's record of the first delivery of `kind`, once it is no longer pending.
    asio::awaitable<em::delivery_record> settled(std::string_view kind)
    {
        for (int i = 0; i < 2000; ++i) {
            for (const auto& d : discord.deliveries())
                if (d.kind == kind && d.outcome != "pending")
                    co_return d;
            co_await test::sleep(5ms);
        }
        FAIL("no settled delivery of " << kind);
        co_return em::delivery_record{};
    }
};

} // namespace

TEST_CASE("authorizing sends APPLICATION_AUTHORIZED; removing the app sends APPLICATION_DEAUTHORIZED, which erases the grant")
{
    fixture g;
    g.start_web();
    test::run(g.io, [&]() -> asio::awaitable<void> {
        auto app = co_await g.subscribe(events_url(g.web_port));
        CHECK(app.event_webhooks_status == 2);
        // The URL check: one signed PING acknowledged, one with a bad signature refused.
        auto checks = g.discord.deliveries();
        REQUIRE(checks.size() == 2);
        CHECK(checks[0].kind == "PING");
        CHECK(checks[0].last_status == 204);
        CHECK(checks[1].kind == "PING (bad signature)");
        CHECK(checks[1].last_status == 401);
        CHECK(checks[1].outcome == "ok");

        auto authorizations = g.web->events(oauth2::event_filter{event_kind::application_authorized, std::nullopt});
        auto removals = g.web->events(oauth2::event_filter{event_kind::application_deauthorized, std::nullopt});
        auto link = g.web->authorization_url(nelly, identify);
        asio::co_spawn(g.io, test::consent_as(g.browser, link, nelly), asio::detached);
        auto result = co_await g.web->wait_for_access_token(nelly, link, 30s);
        REQUIRE(result);

        auto authorized = co_await authorizations.next_for(10s);
        REQUIRE(authorized);
        CHECK(authorized->user_id == nelly);
        REQUIRE(authorized->application);
        CHECK(authorized->application->scopes == std::vector<std::string>{"identify"});
        CHECK_FALSE(authorized->application->integration_type);
        CHECK((co_await g.settled("APPLICATION_AUTHORIZED")).outcome == "delivered");

        // The user removes the app: every token of the grant dies at the emulator, the web
        // server forgets the grant.
        auto removed = co_await g.post_json("/_emulator/users/80351110224678912/deauthorize", "");
        CHECK(removed.status == 200);
        CHECK(removed.body.view() == R"({"deauthorized":["159799960412356608"]})");
        auto deauthorized = co_await removals.next_for(10s);
        REQUIRE(deauthorized);
        CHECK(deauthorized->user_id == nelly);
        CHECK_FALSE(co_await g.web->access_token_for(nelly));
        auto dead = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await g.client.get_current_user(result->token);
        });
        CHECK(dead.code() == oauth2::errc::unauthorized);
        CHECK((co_await g.settled("APPLICATION_DEAUTHORIZED")).last_status == 204);

        // Nothing left to remove: no second event.
        auto again = co_await g.post_json("/_emulator/users/80351110224678912/deauthorize", "");
        CHECK(again.body.view() == R"({"deauthorized":[]})");
    }());
}

TEST_CASE("an event webhook URL is kept only when it acknowledges a signed PING and refuses a badly signed one")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        // Nothing listens.
        auto nothing = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await f.subscribe(events_url(oauth2::server::free_port()));
        });
        CHECK(nothing.code() == oauth2::errc::api_error);
        CHECK(std::string(nothing.what()).find("event_webhooks_url") != std::string::npos);

        // An endpoint that acknowledges everything, signed or not.
        oauth2::server::router accept_all;
        accept_all.add("POST", "/discord/events", [](oauth2::server::request&) -> asio::awaitable<oauth2::server::response> {
            co_return oauth2::server::response{.status = 204};
        });
        oauth2::server::server_options so;
        so.addresses = {"127.0.0.1"};
        oauth2::server::server careless(f.io.get_executor(), std::move(accept_all), so);
        careless.start();
        auto unchecked = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await f.subscribe(events_url(careless.port()));
        });
        CHECK(std::string(unchecked.what()).find("must check signatures") != std::string::npos);
        careless.stop();

        // A web server that checks signatures, but with another application's key.
        f.start_web(std::string(64, 'a'));
        auto wrong_key = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await f.subscribe(events_url(f.web_port));
        });
        CHECK(std::string(wrong_key.what()).find("did not acknowledge") != std::string::npos);
        auto unchanged = co_await f.bot.get_current_application();
        CHECK_FALSE(unchanged.event_webhooks_url);
    }());
}

TEST_CASE("an event that finds no endpoint is retried with backoff until one answers, and given up after retry_for")
{
    fixture f([](em::options& o, std::uint16_t web_port) {
        send_events(o.world.applications.front(), events_url(web_port), {"ENTITLEMENT_CREATE"});
        send_events(o.world.applications.back(), events_url(oauth2::server::free_port()), {"ENTITLEMENT_CREATE"}); // never listens
        o.deliveries.retry_for = 3s;
    });
    test::run(f.io, [&]() -> asio::awaitable<void> {
        // An event while the bot is down.
        auto sent = co_await f.post_json(std::string("/_emulator/applications/") + std::string(airhorn_id) + "/events",
                                         R"({"type":"ENTITLEMENT_CREATE","data":{"id":"11","sku_id":"12","application_id":"159799960412356608","user_id":"80351110224678912","type":8,"deleted":false}})");
        CHECK(sent.status == 204);
        co_await test::sleep(300ms); // attempts at 0, 50, 150 ms: all refused
        auto pending = f.discord.deliveries();
        REQUIRE(pending.size() == 1);
        CHECK(pending[0].outcome == "pending");
        CHECK(pending[0].attempts >= 2);
        CHECK(pending[0].last_status == 0);

        f.start_web(); // the bot comes up
        auto events = f.web->events(oauth2::event_filter{event_kind::entitlement_created, std::nullopt});
        auto e = co_await events.next_for(15s);
        REQUIRE(e);
        CHECK(e->application->entitlement->sku_id == snowflake(12));
        auto delivered = co_await f.settled("ENTITLEMENT_CREATE");
        CHECK(delivered.outcome == "delivered");
        CHECK(delivered.attempts >= 3);

        // The other application's endpoint never comes up: given up after retry_for.
        auto other = std::to_string(f.discord.world().applications.back().id);
        CHECK((co_await f.post_json("/_emulator/applications/" + other + "/events",
                                    R"({"type":"ENTITLEMENT_CREATE","data":{"id":"13"}})"))
                  .status
              == 204);
        em::delivery_record given_up;
        for (int i = 0; i < 1000 && given_up.outcome != "failed"; ++i) {
            for (const auto& d : f.discord.deliveries())
                if (d.application_id == f.discord.world().applications.back().id)
                    given_up = d;
            co_await test::sleep(10ms);
        }
        CHECK(given_up.outcome == "failed");
        CHECK(given_up.attempts >= 3);
    }());
}

TEST_CASE("bad-signature PINGs, on request and at random before events, are refused by the web server")
{
    fixture f([](em::options& o, std::uint16_t web_port) {
        send_events(o.world.applications.front(), events_url(web_port), {"APPLICATION_AUTHORIZED"});
        o.deliveries.bad_ping_probability = 1;
    });
    f.start_web();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto ping = co_await f.post_json(std::string("/_emulator/applications/") + std::string(airhorn_id) + "/ping",
                                         R"({"bad_signature":true})");
        CHECK(ping.body.view() == R"({"status":401,"expected":"401","ok":true})");
        auto good = co_await f.post_json(std::string("/_emulator/applications/") + std::string(airhorn_id) + "/ping", "");
        CHECK(good.body.view() == R"({"status":204,"expected":"2xx","ok":true})");

        auto events = f.web->events(oauth2::event_filter{event_kind::application_authorized, std::nullopt});
        auto link = f.web->authorization_url(nelly, identify);
        std::optional<int> page; // the callback page's status, once the browser has it
        asio::co_spawn(f.io, test::consent_as(f.browser, link, nelly), [&](std::exception_ptr, int status) { page = status; });
        REQUIRE(co_await f.web->wait_for_access_token(nelly, link, 30s));
        CHECK(co_await events.next_for(10s));
        (void)co_await f.settled("APPLICATION_AUTHORIZED");
        auto records = f.discord.deliveries();
        auto bad = std::count_if(records.begin(), records.end(), [](const em::delivery_record& d) {
            return d.kind == "PING (bad signature)" && d.last_status == 401 && d.outcome == "ok";
        });
        CHECK(bad == 2); // the one asked for, and the one before the event
        while (!page)
            co_await test::sleep(5ms);
        CHECK(*page == 200);
    }());
}

TEST_CASE("the Authorized Apps page removes an app; a form from another site is refused")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto token = co_await test::obtain_token(f.client, f.browser);
        http::request open_page{.method = "GET", .url = f.discord.url() + "/settings/authorized-apps?emulator_user=80351110224678912"};
        auto page = co_await f.browser.send(open_page);
        CHECK(page.status == 200);
        CHECK(page.body.view().find("AIRHORN SOLUTIONS") != std::string_view::npos);
        CHECK(page.body.view().find("value=\"remove\"") != std::string_view::npos);

        http::request forged;
        forged.method = "POST";
        forged.url = f.discord.url() + "/settings/authorized-apps";
        forged.fields.add("Content-Type", "application/x-www-form-urlencoded");
        forged.fields.add("Origin", "https://evil.example");
        forged.body = "emulator_user=80351110224678912&application_id=159799960412356608&decision=remove";
        auto refused = co_await f.browser.send(forged);
        CHECK(refused.status == 403);
        auto alive = co_await f.client.get_current_user(token); // still alive: throws otherwise
        CHECK(alive.id == nelly);

        forged.fields = {};
        forged.fields.add("Content-Type", "application/x-www-form-urlencoded");
        forged.fields.add("Origin", f.discord.url());
        auto removed = co_await f.browser.send(std::move(forged));
        CHECK(removed.status == 200);
        CHECK(removed.body.view().find("AIRHORN SOLUTIONS was removed.") != std::string_view::npos);
        auto dead = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await f.client.get_current_user(token); });
        CHECK(dead.code() == oauth2::errc::unauthorized);
    }());
}
