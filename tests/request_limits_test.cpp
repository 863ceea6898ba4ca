// What the client learns from Discord's rate-limit headers and 401/403 answers: every number is
// hostile (inf, nan, 1e300, negatives, months), and one credential's failures never stop another.
// Built with UBSan in the test command: a wait that reached an integer cast unchecked fails there.
#include "client/request_limits.hpp"
#include "server/server.hpp"
#include "support/run.hpp"

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace srv = discord::oauth2::server;
using discord::oauth2::rest::discord_wait;
using discord::oauth2::rest::request_limits;
using namespace std::chrono_literals;

namespace {

http::response answer(int status, std::initializer_list<std::pair<std::string_view, std::string_view>> fields)
{
    http::response r;
    r.status = status;
    for (auto [k, v] : fields)
        r.fields.add(k, v);
    return r;
}

oauth2::retry_policy policy()
{
    oauth2::retry_policy p;
    p.max_rate_limit_wait = 60s;
    p.invalid_request_limit = 3;
    p.invalid_cooldown = 60s;
    return p;
}

const char* const hostile[] = {"inf", "-inf", "nan", "1e300", "1e7", "-5", "-1e300", "99999999999999999999", "0x10",
                               "", "3.5s"};

} // namespace

TEST_CASE("a wait Discord sent is finite, never negative, and never longer than the configured maximum")
{
    constexpr auto max = std::chrono::milliseconds(60'000);
    constexpr double inf = std::numeric_limits<double>::infinity();
    CHECK(discord_wait(0.5, 1s, max) == 500ms);
    CHECK(discord_wait(0.0004, 1s, max) == 1ms); // rounded up: never early
    CHECK(discord_wait(std::nullopt, 1s, max) == 1s);
    CHECK(discord_wait(inf, 1s, max) == 1s);
    CHECK(discord_wait(-inf, 1s, max) == 1s);
    CHECK(discord_wait(std::numeric_limits<double>::quiet_NaN(), 1s, max) == 1s);
    CHECK(discord_wait(1e300, 1s, max) == max);
    CHECK(discord_wait(1e7, 1s, max) == max);
    CHECK(discord_wait(-5, 1s, max) == 0ms);
    CHECK(discord_wait(-1e300, 1s, max) == 0ms);
    CHECK(discord_wait(std::nullopt, 2min, max) == max);
}

TEST_CASE("hostile bucket and global headers never block a route past the maximum wait")
{
    for (const char* value : hostile) {
        CAPTURE(value);
        request_limits limits(policy());
        auto now = std::chrono::steady_clock::now();
        limits.learn("GET /users/@me", "Bearer a",
                     answer(200, {{"x-ratelimit-bucket", "b1"}, {"x-ratelimit-remaining", value},
                                  {"x-ratelimit-reset-after", value}}),
                     now);
        CHECK(limits.earliest("GET /users/@me") <= now + 60s);
        limits.learn("GET /users/@me", "Bearer a",
                     answer(429, {{"x-ratelimit-global", "true"}, {"retry-after", value}}), now);
        CHECK(limits.earliest("GET /oauth2/@me") <= now + 60s);
    }
    // A bucket that says 0 remaining for 2.5 s holds its route, and only its route, that long.
    request_limits limits(policy());
    auto now = std::chrono::steady_clock::now();
    limits.learn("GET /users/@me", "Bearer a",
                 answer(200, {{"x-ratelimit-bucket", "b1"}, {"x-ratelimit-remaining", "0"},
                              {"x-ratelimit-reset-after", "2.5"}}),
                 now);
    CHECK(limits.earliest("GET /users/@me") == now + 2500ms);
    CHECK(limits.earliest("GET /users/@me/guilds") <= now);
}

TEST_CASE("the 401/403 breaker counts per credential")
{
    request_limits limits(policy());
    auto now = std::chrono::steady_clock::now();
    // Ten users' revoked tokens in a row: nobody is stopped, least of all the token endpoint.
    for (int i = 0; i < 10; ++i)
        limits.learn("GET /users/@me", "Bearer dead-" + std::to_string(i), answer(401, {}), now);
    for (int i = 0; i < 10; ++i)
        CHECK_FALSE(limits.stopped_until("Bearer dead-" + std::to_string(i), now));
    CHECK_FALSE(limits.stopped_until("Basic client", now));
    CHECK_FALSE(limits.stopped_until("Bearer alive", now));

    // One credential failing three times in a row is stopped for the cooldown; the others are not.
    for (int i = 0; i < 3; ++i)
        limits.learn("GET /users/@me", "Bearer forged", answer(403, {}), now);
    REQUIRE(limits.stopped_until("Bearer forged", now));
    CHECK(*limits.stopped_until("Bearer forged", now) == now + 60s);
    CHECK_FALSE(limits.stopped_until("Bearer forged", now + 61s));
    CHECK_FALSE(limits.stopped_until("Basic client", now));
    CHECK_FALSE(limits.stopped_until("Bearer dead-1", now));

    // A success clears a credential's count; a 429 neither counts nor clears.
    limits.learn("GET /users/@me", "Bearer flaky", answer(401, {}), now);
    limits.learn("GET /users/@me", "Bearer flaky", answer(401, {}), now);
    limits.learn("GET /users/@me", "Bearer flaky", answer(200, {}), now);
    limits.learn("GET /users/@me", "Bearer flaky", answer(401, {}), now);
    limits.learn("GET /users/@me", "Bearer flaky", answer(429, {}), now);
    limits.learn("GET /users/@me", "Bearer flaky", answer(401, {}), now);
    CHECK_FALSE(limits.stopped_until("Bearer flaky", now));
    limits.learn("GET /users/@me", "Bearer flaky", answer(401, {}), now);
    CHECK(limits.stopped_until("Bearer flaky", now));
}

TEST_CASE("a net under every credential: past the window's limit Bearer requests stop, the token endpoint never")
{
    auto p = policy();
    p.invalid_requests_per_window = 20;
    request_limits limits(p);
    auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < 19; ++i)
        limits.learn("GET /users/@me", "Bearer dead-" + std::to_string(i), answer(401, {}), now);
    CHECK_FALSE(limits.stopped_until("Bearer alive", now));
    limits.learn("GET /users/@me", "Bearer dead-19", answer(401, {}), now + 1s);
    REQUIRE(limits.stopped_until("Bearer alive", now + 2s));
    CHECK(*limits.stopped_until("Bearer alive", now + 2s) == now + 10min);
    CHECK_FALSE(limits.stopped_until("Basic client", now + 2s)); // code exchanges and refreshes go on
    CHECK_FALSE(limits.stopped_until("", now + 2s));             // a public client's too
    CHECK_FALSE(limits.stopped_until("Bearer alive", now + 10min)); // a new window
}

TEST_CASE("the breaker's memory is bounded and keeps the credentials it stopped")
{
    request_limits limits(policy());
    auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i)
        limits.learn("GET /users/@me", "Bearer forged", answer(401, {}), now);
    for (int i = 0; i < 25'000; ++i)
        limits.learn("GET /users/@me", "Bearer dead-" + std::to_string(i), answer(401, {}), now);
    CHECK(limits.tracked_credentials() <= 10'000);
    CHECK(limits.stopped_until("Bearer forged", now));
}

TEST_CASE("a server sending inf, nan, 1e300 and months: the client neither misbehaves nor blocks for long")
{
    // A hostile "Discord" on loopback: every answer a global 429 with the wait under test.
    std::string current;
    srv::router routes;
    routes.add("GET", "/api/v10/users/@me", [&](srv::request&) -> asio::awaitable<srv::response> {
        auto r = srv::response::with_body(429, "application/json",
                                          "{\"message\":\"You are being rate limited.\",\"retry_after\":" +
                                              (current == "nan" || current == "inf" ? std::string("1") : current) +
                                              ",\"global\":true}");
        r.fields.add("Retry-After", current);
        r.fields.add("X-RateLimit-Global", "true");
        co_return r;
    });
    asio::io_context io;
    srv::server server(io.get_executor(), std::move(routes));
    server.start();
    oauth2::client_config config;
    config.client_id = oauth2::snowflake(1);
    config.endpoints = oauth2::endpoints::under("http://127.0.0.1:" + std::to_string(server.port()));
    config.retries.max_rate_limit_wait = 1s;
    oauth2::client client(io.get_executor(), config);
    oauth2::access_token token;
    token.token = oauth2::secret("t");
    token.scopes = {"identify"};
    test::run(io, [&]() -> asio::awaitable<void> {
        const char* waits[] = {"inf", "nan", "1e300", "1e7", "-3"};
        for (const char* w : waits) {
            current = w;
            CAPTURE(current);
            auto e = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await client.get_current_user(token); });
            CHECK(e.code() == oauth2::errc::rate_limited);
            if (e.retry_after()) {
                CHECK(std::isfinite(*e.retry_after()));
                CHECK(*e.retry_after() >= 0);
            }
        }
    }(), 30s); // five months-long waits would never finish: the bound is the test
}
