// The web server's events endpoint (lib/web/webhook_events.cpp) over real loopback sockets:
// Discord's webhook events, signed with a key made for the test as Discord signs them, against a
// web server that holds real grants from the emulator.
#include "emulator.hpp"
#include "http/client.hpp"
#include "server/free_port.hpp"
#include "support/authorize.hpp"
#include "support/ed25519_signer.hpp"
#include "support/run.hpp"
#include "support/web_flow.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <doctest/doctest.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cctype>
#include <thread>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using oauth2::event_kind;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake nelly{80351110224678912ULL};
const std::vector<std::string_view> identify{oauth2::scope::identify};

struct fixture {
    test::ed25519_signer discord_key; // Discord's side
    asio::io_context io;
    std::string redirect = "http://127.0.0.1:" + std::to_string(oauth2::server::free_port()) + "/discord/callback";
    em::emulator discord;
    oauth2::client client;
    oauth2::web_server web;
    http::client browser;

    fixture()
        : discord(io.get_executor(), test::flow_emulator_options(redirect)),
          client(io.get_executor(), (discord.start(), test::flow_client_config(discord.url(), redirect))),
          web(io.get_executor(), client, config(discord_key)), browser(io.get_executor())
    {
        web.start();
    }

    static oauth2::web_server_config config(const test::ed25519_signer& key)
    {
        oauth2::web_server_config c;
        c.key = oauth2::state_key::generate();
        c.events_path = "/discord/events";
        c.verify_key = key.public_key_hex();
        return c;
    }

    std::string events_url() const { return "http://127.0.0.1:" + std::to_string(web.port()) + "/discord/events"; }

    // Posts `body` as Discord would: signed by `signer` at `signed_at`; answers the status.
    asio::awaitable<int> post(std::string body, const test::ed25519_signer& signer,
                              std::chrono::system_clock::time_point signed_at = std::chrono::system_clock::now())
    {
        auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(signed_at.time_since_epoch()).count());
        http::request r;
        r.method = "POST";
        r.url = events_url();
        r.fields.add("Content-Type", "application/json");
        r.fields.add("X-Signature-Ed25519", signer.sign_hex(ts + body));
        r.fields.add("X-Signature-Timestamp", ts);
        r.body = std::move(body);
        auto answer = co_await browser.send(std::move(r));
        co_return answer.status;
    }

    asio::awaitable<int> post(std::string body) { co_return co_await post(std::move(body), discord_key); }

    // The same as post(), with the signature written in upper-case hex.
    asio::awaitable<int> post_with_signature_in_capitals(std::string body, std::chrono::system_clock::time_point signed_at)
    {
        auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(signed_at.time_since_epoch()).count());
        auto signature = discord_key.sign_hex(ts + body);
        for (auto& c : signature)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        http::request r;
        r.method = "POST";
        r.url = events_url();
        r.fields.add("X-Signature-Ed25519", signature);
        r.fields.add("X-Signature-Timestamp", ts);
        r.body = std::move(body);
        auto answer = co_await browser.send(std::move(r));
        co_return answer.status;
    }

    // A real grant for `user`, through the emulator's consent and the callback.
    asio::awaitable<void> authorize(snowflake user)
    {
        auto link = web.authorization_url(user, identify);
        asio::co_spawn(io, test::consent_as(browser, link, user), asio::detached);
        auto r = co_await web.wait_for_access_token(user, link, 30s);
        REQUIRE(r);
    }
};

std::string event_body(std::string_view type, std::string_view data, std::chrono::system_clock::time_point when)
{
    auto stamp = fmt::format("{:%Y-%m-%dT%H:%M:%S}", std::chrono::time_point_cast<std::chrono::microseconds>(when));
    return fmt::format(R"({{"version":1,"application_id":"159799960412356608","type":1,"event":{{"type":"{}","timestamp":"{}","data":{}}}}})",
                       type, stamp, data);
}

const std::string deauthorized_nelly = R"({"user":{"id":"80351110224678912","username":"nelly"}})";

} // namespace

TEST_CASE("PING is 204; unsigned, wrongly signed, stale and oversize requests are refused and change nothing")
{
    fixture f;
    test::ed25519_signer stranger;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        co_await f.authorize(nelly);
        auto events = f.web.events();
        CHECK(co_await f.post(R"({"version":1,"application_id":"159799960412356608","type":0})") == 204);

        auto deauthorize = event_body("APPLICATION_DEAUTHORIZED", deauthorized_nelly, std::chrono::system_clock::now());
        CHECK(co_await f.post(deauthorize, stranger) == 401);
        CHECK(co_await f.post(deauthorize, f.discord_key, std::chrono::system_clock::now() - 10min) == 401);
        http::request unsigned_request;
        unsigned_request.method = "POST";
        unsigned_request.url = f.events_url();
        unsigned_request.body = deauthorize;
        auto unsigned_answer = co_await f.browser.send(std::move(unsigned_request));
        CHECK(unsigned_answer.status == 401);
        std::string oversize = R"({"type":0,"application_id":"1","pad":")" + std::string(70 * 1024, 'x') + "\"}";
        CHECK(co_await f.post(oversize) == 413);

        // Nothing was done: the grant is there, and no event came.
        co_await test::sleep(100ms);
        CHECK(co_await f.web.access_token_for(nelly));
        while (auto e = events.try_next())
            CHECK(e->kind != event_kind::application_deauthorized);
    }());
}

TEST_CASE("APPLICATION_DEAUTHORIZED forgets the grant, ends the user's waits, and is acted on once")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        co_await f.authorize(nelly);
        auto events = f.web.events(oauth2::event_filter{event_kind::application_deauthorized, std::nullopt});
        // A wait on a link made before the user removed the application.
        auto link = f.web.authorization_url(nelly, identify);
        std::optional<oauth2::authorization_result> waited;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            waited = co_await f.web.wait_for_access_token(nelly, link, 60s);
        }, asio::detached);
        co_await test::sleep(20ms);

        auto body = event_body("APPLICATION_DEAUTHORIZED", deauthorized_nelly, std::chrono::system_clock::now() + 1s);
        auto signed_at = std::chrono::system_clock::now();
        CHECK(co_await f.post(body, f.discord_key, signed_at) == 204);
        auto e = co_await events.next_for(10s);
        REQUIRE(e);
        CHECK(e->user_id == nelly);
        REQUIRE(e->application);
        CHECK(e->application->type == "APPLICATION_DEAUTHORIZED");
        CHECK_FALSE(co_await f.web.access_token_for(nelly));
        while (!waited)
            co_await test::sleep(5ms);
        CHECK(waited->outcome == oauth2::authorization_outcome::denied);
        CHECK(waited->code == oauth2::errc::access_denied);

        // The same request again (same signature): acknowledged, not acted on twice; nor with
        // the signature's hex digits in capitals, which verify just the same.
        CHECK(co_await f.post(body, f.discord_key, signed_at) == 204);
        CHECK(co_await f.post_with_signature_in_capitals(body, signed_at) == 204);
        CHECK_FALSE(co_await events.next_for(300ms));
    }());
}

TEST_CASE("a deauthorization older than the grant (events come late) leaves the new grant alone")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto before = std::chrono::system_clock::now() - 2min;
        co_await f.authorize(nelly);
        auto events = f.web.events(oauth2::event_filter{event_kind::application_deauthorized, std::nullopt});
        CHECK(co_await f.post(event_body("APPLICATION_DEAUTHORIZED", deauthorized_nelly, before)) == 204);
        CHECK(co_await events.next_for(10s)); // still told
        CHECK(co_await f.web.access_token_for(nelly)); // but the grant of the later authorization stays
    }());
}

TEST_CASE("authorizations, entitlements and event types the library does not know become events")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto events = f.web.events();
        auto now = std::chrono::system_clock::now();
        CHECK(co_await f.post(event_body("APPLICATION_AUTHORIZED",
                                         R"({"integration_type":0,"scopes":["bot","applications.commands"],"user":{"id":"80351110224678912"},"guild":{"id":"290926798626357999"}})",
                                         now)) == 204);
        auto a = co_await events.next_for(10s);
        REQUIRE(a);
        CHECK(a->kind == event_kind::application_authorized);
        CHECK(a->user_id == nelly);
        CHECK(a->application->integration_type == 0);
        CHECK(a->application->scopes == std::vector<std::string>{"bot", "applications.commands"});
        CHECK(a->application->guild_id == snowflake(290926798626357999ULL));

        CHECK(co_await f.post(event_body("ENTITLEMENT_CREATE",
                                         R"({"id":"11","sku_id":"12","application_id":"159799960412356608","user_id":"80351110224678912","type":8,"deleted":false})",
                                         now)) == 204);
        auto c = co_await events.next_for(10s);
        REQUIRE(c);
        CHECK(c->kind == event_kind::entitlement_created);
        CHECK(c->user_id == nelly);
        CHECK(c->application->entitlement->sku_id == snowflake(12));

        CHECK(co_await f.post(event_body("LOBBY_MESSAGE_CREATE", R"({"id":"7","content":"hi"})", now)) == 204);
        auto u = co_await events.next_for(10s);
        REQUIRE(u);
        CHECK(u->kind == event_kind::webhook_event);
        CHECK(u->application->type == "LOBBY_MESSAGE_CREATE");
        CHECK(u->application->data_json == R"({"id":"7","content":"hi"})");
    }());
}

TEST_CASE("an events path needs the application's public key; without a path the endpoint does not exist")
{
    asio::io_context io;
    oauth2::client c(io.get_executor(), test::flow_client_config("http://127.0.0.1:1", "http://127.0.0.1:53134/callback"));
    oauth2::web_server_config config;
    config.events_path = "/discord/events";
    config.verify_key = "not-a-key";
    CHECK_THROWS_AS(oauth2::web_server(io.get_executor(), c, config), oauth2::error);
    config.verify_key = std::string(64, 'a');
    config.events_path = "/callback"; // the redirect URI's own path
    CHECK_THROWS_AS(oauth2::web_server(io.get_executor(), c, config), oauth2::error);
    config.events_path = "/discord/events";
    CHECK_NOTHROW(oauth2::web_server(io.get_executor(), c, config));
}

TEST_CASE("a replay at the window's last moment is refused, and its act does not come later")
{
    // The server's work runs one handler at a time here, and the replay's answer comes before
    // the first request's window has passed while whatever it left for later runs after: the
    // replay must have been refused in the step that checked its window.
    test::ed25519_signer discord_key;
    asio::io_context io;
    oauth2::client client(io.get_executor(), test::flow_client_config("http://127.0.0.1:1", "http://127.0.0.1:53134/callback"));
    auto c = fixture::config(discord_key);
    c.listen = false;
    c.events_window = 1s;
    oauth2::web_server web(io.get_executor(), client, c);
    web.start();
    int acted = 0;
    auto events = web.events(oauth2::event_filter{event_kind::application_deauthorized, std::nullopt});
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        while (co_await events.next())
            ++acted;
    }, asio::detached);

    // Signed at the start of a second (Discord's timestamps are whole seconds).
    auto now = std::chrono::system_clock::now();
    auto second = std::chrono::time_point_cast<std::chrono::seconds>(now);
    if (now - second > 200ms) {
        std::this_thread::sleep_until(second + 1s);
        second += 1s;
    }
    auto ts = std::to_string(second.time_since_epoch().count());
    auto body = event_body("APPLICATION_DEAUTHORIZED", deauthorized_nelly, std::chrono::system_clock::now());
    auto request = [&] {
        oauth2::incoming_request r;
        r.method = "POST";
        r.target = "/discord/events";
        r.headers = {{"Content-Type", "application/json"},
                     {"X-Signature-Ed25519", discord_key.sign_hex(ts + body)},
                     {"X-Signature-Timestamp", ts}};
        r.body = body;
        return r;
    };
    int answered = 0;
    auto answer = [&](std::exception_ptr, oauth2::outgoing_response a) {
        CHECK(a.status == 204);
        ++answered;
    };
    asio::co_spawn(io, web.handle_request(request()), answer);
    for (int i = 0; i < 100 && (answered < 1 || acted < 1); ++i) {
        io.restart(); // without a listener the io_context runs out of work between requests
        io.run_for(20ms);
    }
    CHECK(acted == 1);

    // The replay, 0.95 s after the timestamp: inside the window when it is checked, and its
    // turn to be spent only after the first request's window has passed.
    std::this_thread::sleep_until(second + 950ms);
    asio::co_spawn(io, web.handle_request(request()), answer);
    io.restart();
    io.run_one(); // the request is checked and answered; anything it left for later waits
    std::this_thread::sleep_until(second + 1100ms);
    io.restart();
    io.run_for(300ms);
    CHECK(answered == 2);
    CHECK(acted == 1);
    test::run(io, web.stop());
    test::drain(io);
}
