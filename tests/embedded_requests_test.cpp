// web_server::handle_request: the callback served by an HTTP server the bot already runs (the
// web server itself not listening), against the emulator. The request is the bot's server's,
// hostile as any network input: it gets the listener's checks, and nothing can be smuggled.
#include "emulator.hpp"
#include "http/client.hpp"
#include "server/free_port.hpp"
#include "support/run.hpp"
#include "support/web_flow.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <doctest/doctest.h>

#include <string>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using namespace std::chrono_literals;

namespace {

const oauth2::snowflake nelly{80351110224678912ULL}; // the emulator's first user

struct embedded {
    asio::io_context io;
    std::string redirect = "http://127.0.0.1:" + std::to_string(oauth2::server::free_port()) + "/discord/callback";
    em::emulator discord{io.get_executor(), test::flow_emulator_options(redirect)};
    oauth2::client client{io.get_executor(), (discord.start(), test::flow_client_config(discord.url(), redirect))};
    oauth2::web_server web{io.get_executor(), client, config()};
    http::client browser{io.get_executor()};

    static oauth2::web_server_config config()
    {
        oauth2::web_server_config c;
        c.listen = false; // the bot's own server receives the callback
        c.key = oauth2::state_key::generate();
        return c;
    }

    // What the bot's server would hand over for a request of `target`.
    static oauth2::incoming_request get(std::string target)
    {
        oauth2::incoming_request r;
        r.target = std::move(target);
        r.headers = {{"Host", "127.0.0.1"}, {"User-Agent", "a browser"}};
        return r;
    }

    // Discord's side of a link: the consent (auto-approved) answered with a redirect whose
    // target the bot's server receives.
    asio::awaitable<std::string> callback_target(const std::string& link)
    {
        http::request consent;
        consent.url = link + "&emulator_user=" + nelly.to_string();
        auto redirect = co_await browser.send(std::move(consent));
        REQUIRE(redirect.status == 302);
        auto location = std::string(*redirect.fields.find("location"));
        co_return location.substr(location.find("/discord/callback"));
    }
};

std::string header(const oauth2::outgoing_response& r, std::string_view name)
{
    for (const auto& [n, v] : r.headers)
        if (http::iequals(n, name))
            return v;
    return {};
}

} // namespace

TEST_CASE("the bot's own server hands the callback over: the page, the waiter's token, nothing listening")
{
    embedded f;
    f.web.start();
    CHECK(f.web.port() == 0); // no listener of its own
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto url = f.web.authorization_url(nelly, {oauth2::scope::identify, oauth2::scope::connections});
        auto target = co_await f.callback_target(url);
        CHECK(f.web.handles("GET", target));
        CHECK_FALSE(f.web.handles("GET", "/elsewhere"));
        CHECK_FALSE(f.web.handles("POST", target));

        auto request = embedded::get(target);
        bool page_checked = false;
        auto served = [&]() -> asio::awaitable<void> {
            auto page = co_await f.web.handle_request(request);
            CHECK(page.status == 200);
            CHECK(header(page, "content-type").starts_with("text/html"));
            CHECK(header(page, "cache-control") == "no-store");
            CHECK(header(page, "x-frame-options") == "DENY");
            CHECK(page.body.find("<html") != std::string::npos);
            page_checked = true;
        };
        asio::co_spawn(co_await asio::this_coro::executor, served(), asio::detached);
        auto result = co_await f.web.wait_for_access_token(nelly, url, 30s);
        REQUIRE(result);
        auto connections = co_await f.client.get_connections(result->token);
        CHECK(connections.size() == 5);
        bool shown = co_await test::wait_until([&] { return page_checked; }, 30s);
        CHECK(shown);

        // The same callback again (a reload) is a replay: answered as the listener answers one,
        // with the first callback's outcome and no second exchange.
        auto again = co_await f.web.handle_request(request);
        CHECK(again.status == 200);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token") == 1);
        co_await f.web.stop();
        auto stopped = co_await f.web.handle_request(request);
        CHECK(stopped.status == 503);
    }());
}

TEST_CASE("before start, on another path or method, and malformed: clear answers, never an exception")
{
    embedded f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto before = co_await f.web.handle_request(embedded::get("/discord/callback?code=x&state=y"));
        CHECK(before.status == 503);
        f.web.start();

        auto elsewhere = co_await f.web.handle_request(embedded::get("/other"));
        CHECK(elsewhere.status == 404);
        auto posted = embedded::get("/discord/callback");
        posted.method = "POST";
        auto wrong_method = co_await f.web.handle_request(posted);
        CHECK(wrong_method.status == 405);
        CHECK(header(wrong_method, "allow").find("GET") != std::string::npos);

        auto missing = co_await f.web.handle_request(embedded::get("/discord/callback"));
        CHECK(missing.status == 400); // no code, no state: the listener's answer, a page
        CHECK(header(missing, "content-type").starts_with("text/html"));
        // From HTTP/1.0 or HTTP/2 servers: no Host, pseudo-fields. Still the callback's page.
        oauth2::incoming_request bare;
        bare.target = "/discord/callback";
        bare.headers = {{":authority", "bot.example"}, {":path", "/discord/callback"}};
        auto from_h2 = co_await f.web.handle_request(bare);
        CHECK(from_h2.status == 400);
        CHECK(header(from_h2, "content-type").starts_with("text/html"));
        // HEAD: the head alone, as the listener answers it.
        auto head = embedded::get("/discord/callback");
        head.method = "HEAD";
        CHECK(f.web.handles("HEAD", "/discord/callback?code=a"));
        auto head_answer = co_await f.web.handle_request(head);
        CHECK(head_answer.status == 400);
        CHECK(head_answer.body.empty());
        auto forged = co_await f.web.handle_request(embedded::get("/discord/callback?code=abc&state=forged"));
        CHECK(forged.status == 400);

        // What no request line or field could hold is refused before it is parsed.
        auto absolute = co_await f.web.handle_request(embedded::get("http://evil.example/discord/callback"));
        CHECK(absolute.status == 400);
        auto spaced = co_await f.web.handle_request(embedded::get("/discord/callback HTTP/1.1\r\nX: y"));
        CHECK(spaced.status == 400);
        auto bad_method = embedded::get("/discord/callback");
        bad_method.method = "GET /x";
        CHECK((co_await f.web.handle_request(bad_method)).status == 400);
        auto bad_name = embedded::get("/discord/callback");
        bad_name.headers.emplace_back("X Y", "z");
        CHECK((co_await f.web.handle_request(bad_name)).status == 400);
        // A value with CR LF would end the head early and smuggle a second request.
        auto smuggled = embedded::get("/discord/callback?code=a&state=b");
        smuggled.headers.emplace_back("X-A", "1\r\n\r\nGET /discord/callback?code=c&state=d HTTP/1.1");
        CHECK((co_await f.web.handle_request(smuggled)).status == 400);
        auto nul = embedded::get("/discord/callback");
        nul.headers.emplace_back("X-A", std::string("a\0b", 3));
        CHECK((co_await f.web.handle_request(nul)).status == 400);
        // The listener's limits hold: a target longer than a request line may be.
        auto huge = embedded::get("/discord/callback?state=" + std::string(20000, 'a'));
        CHECK((co_await f.web.handle_request(huge)).status == 414);
        auto big_body = embedded::get("/discord/callback");
        big_body.method = "POST";
        big_body.body.assign(1024 * 1024, 'x');
        CHECK((co_await f.web.handle_request(big_body)).status == 413);
        auto long_fields = embedded::get("/discord/callback");
        long_fields.headers.emplace_back("X-Long", std::string(64 * 1024, 'v'));
        CHECK((co_await f.web.handle_request(long_fields)).status == 431);
        auto many = embedded::get("/discord/callback");
        for (int i = 0; i < 200; ++i)
            many.headers.emplace_back("X-" + std::to_string(i), "v");
        CHECK((co_await f.web.handle_request(many)).status == 431);
        // The bot's server's framing is its own: a Content-Length that contradicts the body is ignored.
        auto framed = embedded::get("/discord/callback");
        framed.headers.emplace_back("Content-Length", "5");
        framed.headers.emplace_back("Transfer-Encoding", "chunked");
        CHECK((co_await f.web.handle_request(framed)).status == 400); // the missing code, not a framing error
        co_await f.web.stop();
    }());
}

TEST_CASE("the bot's server names the client: the linked roles path counts visits per client address")
{
    embedded f;
    auto c = embedded::config();
    c.linked_roles_path = "/linked-role";
    c.linked_roles_hook = [](const oauth2::user&, const oauth2::access_token&)
        -> asio::awaitable<std::optional<oauth2::role_connection>> { co_return std::nullopt; };
    c.linked_roles_per_minute = 2;
    oauth2::web_server web(f.io.get_executor(), f.client, c);
    web.start();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto visit = [&](std::string peer) -> asio::awaitable<int> {
            auto r = embedded::get("/linked-role");
            r.peer = std::move(peer);
            auto answer = co_await web.handle_request(r);
            co_return answer.status;
        };
        // Two a minute per client, the port ignored; the third is told to wait.
        auto first = co_await visit("203.0.113.7:51000");
        auto second = co_await visit("203.0.113.7");
        auto third = co_await visit("203.0.113.7:51002");
        CHECK(first == 302);
        CHECK(second == 302);
        CHECK(third == 429);
        auto v6 = co_await visit("[2001:db8::1]:443");
        CHECK(v6 == 302);
        // Not said: not counted (the caps still hold what a flood can cost).
        for (int i = 0; i < 3; ++i) {
            auto unknown = co_await visit("");
            CHECK(unknown == 302);
        }
        co_await web.stop();
    }());
}

TEST_CASE("over https the linked roles cookie is __Host- prefixed: Secure, Path=/, no Domain")
{
    embedded f;
    auto c = embedded::config();
    c.linked_roles_path = "/linked-role";
    c.linked_roles_hook = [](const oauth2::user&, const oauth2::access_token&)
        -> asio::awaitable<std::optional<oauth2::role_connection>> { co_return std::nullopt; };
    auto cc = f.client.config();
    cc.redirect_uri = "https://bot.example/discord/callback"; // the bot's own server terminates TLS
    oauth2::client secure_client(f.io.get_executor(), cc);
    oauth2::web_server web(f.io.get_executor(), secure_client, c);
    web.start();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto answer = co_await web.handle_request(embedded::get("/linked-role"));
        CHECK(answer.status == 302);
        auto cookie = header(answer, "set-cookie");
        CHECK(cookie.starts_with("__Host-discord_oauth2_linked_role="));
        CHECK(cookie.find("; Secure") != std::string::npos);
        CHECK(cookie.find("; Path=/;") != std::string::npos);
        CHECK(cookie.find("Domain") == std::string::npos);
        co_await web.stop();
    }());
}
