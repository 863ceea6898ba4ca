// The device authorization grant (RFC 8628) over loopback: client::start_device_authorization
// and wait_for_device_token against the emulator's device endpoint and /activate page, which the
// test fills in as the person would.
#include "emulator.hpp"
#include "http/client.hpp"
#include "support/run.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>

#include <doctest/doctest.h>

#include <regex>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

namespace {

const oauth2::snowflake nelly{80351110224678912ULL};
const std::string polls_route = "POST /api/v10/oauth2/token";

struct fixture {
    asio::io_context io;
    em::emulator discord;
    oauth2::client client;
    http::client browser;

    explicit fixture(std::chrono::seconds interval = 1s, std::chrono::seconds ttl = 300s)
        : discord(io.get_executor(), options(interval, ttl)),
          client(io.get_executor(), (discord.start(), config(discord.url()))), browser(io.get_executor())
    {
    }

    static em::options options(std::chrono::seconds interval, std::chrono::seconds ttl)
    {
        em::options o;
        o.rate_limits.enabled = false;
        o.device_interval = interval;
        o.device_code_ttl = ttl;
        return o;
    }

    static oauth2::client_config config(const std::string& url)
    {
        oauth2::client_config c;
        c.client_id = oauth2::snowflake(159799960412356608ULL);
        c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
        c.endpoints = oauth2::endpoints::under(url);
        return c;
    }

    // The person at /activate, signed in as nelly, typing `code` and pressing `decision`.
    // string_views: g++ 12 mishandles temporaries of class type in a co_await's expression.
    asio::awaitable<http::response> activate(std::string_view code, std::string_view decision)
    {
        http::request r;
        r.method = "POST";
        r.url = discord.url() + "/activate";
        r.fields.add("Content-Type", "application/x-www-form-urlencoded");
        r.body = "emulator_user=80351110224678912&user_code=" + std::string(code) + "&decision=" + std::string(decision);
        co_return co_await browser.send(std::move(r));
    }

    std::uint64_t polls() const { return discord.calls(polls_route); }
};

} // namespace

TEST_CASE("device flow: the code is shown, the person enters it at /activate, the wait ends with their grant")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify", "connections"};
        auto a = co_await f.client.start_device_authorization(scopes);
        CHECK(std::regex_match(a.user_code, std::regex("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}")));
        CHECK(a.verification_uri == f.discord.url() + "/activate");
        CHECK(a.verification_uri_complete == a.verification_uri + "?user_code=" + a.user_code);
        CHECK(a.interval == 1s);
        CHECK(a.expires_in == 300s);
        CHECK(a.scopes == scopes);
        CHECK(a.device_code.reveal().size() >= 32);

        std::optional<oauth2::access_token> token;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> { token = co_await f.client.wait_for_device_token(a); },
                       asio::detached);
        while (f.polls() < 2) // pending, pending: the person has not come yet
            co_await test::sleep(50ms);
        CHECK_FALSE(token);

        http::request page{.method = "GET", .url = *a.verification_uri_complete + "&emulator_user=80351110224678912"};
        auto shown = co_await f.browser.send(page);
        CHECK(shown.status == 200);
        CHECK(shown.body.view().find(a.user_code) != std::string_view::npos);
        // Typed the way people type: lower case, a space for the dash.
        auto typed = a.user_code.substr(0, 4) + "+" + a.user_code.substr(5);
        for (auto& c : typed)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto done = co_await f.activate(typed, "approve");
        CHECK(done.status == 200);
        CHECK(done.body.view().find("Device connected") != std::string_view::npos);

        while (!token)
            co_await test::sleep(50ms);
        CHECK(token->scopes == scopes);
        CHECK(token->refresh_token);
        auto me = co_await f.client.get_current_user(*token);
        CHECK(me.id == nelly);

        // The device code was spent; the same code again is nobody's.
        auto again = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await f.client.wait_for_device_token(a); });
        CHECK(again.code() == oauth2::errc::invalid_grant);
        auto reused = co_await f.activate(a.user_code, "approve");
        CHECK(reused.status == 400);
    }());
}

TEST_CASE("device flow: Cancel is access_denied, an unknown code is refused, expiry is expired_token")
{
    fixture f(1s, 3s);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify"};
        auto a = co_await f.client.start_device_authorization(scopes);
        // A form from another site cannot authorize a device for the signed-in user.
        http::request forged;
        forged.method = "POST";
        forged.url = f.discord.url() + "/activate";
        forged.fields.add("Content-Type", "application/x-www-form-urlencoded");
        forged.fields.add("Origin", "https://evil.example");
        forged.body = "emulator_user=80351110224678912&user_code=" + a.user_code + "&decision=approve";
        CHECK((co_await f.browser.send(forged)).status == 403);
        auto wrong = co_await f.activate("BBBB-BBBB", "approve");
        CHECK(wrong.status == 400);
        CHECK(wrong.body.view().find("not valid") != std::string_view::npos);
        CHECK((co_await f.activate(a.user_code, "cancel")).status == 200);
        auto denied = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await f.client.wait_for_device_token(a); });
        CHECK(denied.code() == oauth2::errc::access_denied);

        // Nobody comes: the codes expire (here after 3 s), and the wait says so.
        auto b = co_await f.client.start_device_authorization(scopes);
        auto expired = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await f.client.wait_for_device_token(b); });
        CHECK(expired.code() == oauth2::errc::expired_token);
        co_await test::sleep(1500ms); // the client stops a poll short of the expiry; now the server's has passed too
        CHECK((co_await f.activate(b.user_code, "approve")).status == 400);

        // Refused before anything is sent.
        std::vector<std::string> none;
        auto empty = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await f.client.start_device_authorization(none); });
        CHECK(empty.code() == oauth2::errc::invalid_argument);
        std::vector<std::string> bot{"bot"};
        auto refused = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await f.client.start_device_authorization(bot); });
        CHECK(refused.code() == oauth2::errc::invalid_scope);
    }());
}

TEST_CASE("device flow: slow_down adds 5 s between polls; a cancelled wait stops polling")
{
    fixture f(2s);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> scopes{"identify"};
        auto a = co_await f.client.start_device_authorization(scopes);
        auto hasty = a;
        hasty.interval = 1s; // closer than the emulator's 2 s: the second poll is slow_down
        std::optional<oauth2::access_token> token;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> { token = co_await f.client.wait_for_device_token(hasty); },
                       asio::detached);
        while (f.polls() < 2)
            co_await test::sleep(50ms);
        // Now 6 s apart: in the next 3 s nothing is polled (at 1 s apart there would be three).
        co_await test::sleep(3s);
        CHECK(f.polls() == 2);
        CHECK((co_await f.activate(a.user_code, "approve")).status == 200);
        while (!token)
            co_await test::sleep(50ms);
        CHECK(f.polls() == 3);

        // A wait cancelled through its coroutine (the timer wins the race) polls no more.
        auto b = co_await f.client.start_device_authorization(scopes);
        asio::steady_timer patience(f.io, 1500ms);
        auto polls_before = f.polls();
        auto winner = co_await (f.client.wait_for_device_token(b) || patience.async_wait(asio::use_awaitable));
        CHECK(winner.index() == 1);
        auto after_cancel = f.polls();
        CHECK(after_cancel <= polls_before + 1);
        co_await test::sleep(2500ms);
        CHECK(f.polls() == after_cancel);
    }());
}
