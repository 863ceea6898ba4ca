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

discord::oauth2::rest::limit_key key(std::string_view authorization, std::string_view major = {})
{
    return discord::oauth2::rest::limit_key::of(authorization, major);
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

TEST_CASE("hostile bucket and global headers never hold a route past the longest hold")
{
    for (const char* value : hostile) {
        CAPTURE(value);
        request_limits limits(policy());
        auto now = std::chrono::steady_clock::now();
        limits.learn("GET /users/@me", key("Bearer a"),
                     answer(200, {{"x-ratelimit-bucket", "b1"}, {"x-ratelimit-remaining", value},
                                  {"x-ratelimit-reset-after", value}}),
                     now);
        CHECK(limits.earliest("GET /users/@me", key("Bearer a")).when <= now + request_limits::longest_hold);
        limits.learn("GET /users/@me", key("Bearer a"),
                     answer(429, {{"x-ratelimit-global", "true"}, {"retry-after", value}}), now);
        CHECK(limits.earliest("GET /oauth2/@me", key("Bearer a")).when <= now + request_limits::longest_hold);
    }
    // A bucket that says 0 remaining for 2.5 s holds its route, and only its route, that long.
    request_limits limits(policy());
    auto now = std::chrono::steady_clock::now();
    limits.learn("GET /users/@me", key("Bearer a"),
                 answer(200, {{"x-ratelimit-bucket", "b1"}, {"x-ratelimit-remaining", "0"},
                              {"x-ratelimit-reset-after", "2.5"}}),
                 now);
    CHECK(limits.earliest("GET /users/@me", key("Bearer a")).when == now + 2500ms);
    CHECK(limits.earliest("GET /users/@me", key("Bearer a")).scope == discord::oauth2::rate_limit_scope::bucket);
    CHECK(limits.earliest("GET /users/@me/guilds", key("Bearer a")).when <= now);
}

TEST_CASE("buckets are kept per credential and major parameter, as Discord keys them")
{
    request_limits limits(policy());
    auto now = std::chrono::steady_clock::now();
    auto empty = answer(200, {{"x-ratelimit-bucket", "c0ffee"}, {"x-ratelimit-remaining", "0"},
                              {"x-ratelimit-reset-after", "9.5"}});
    // User A spent the connections bucket: A waits, B, C and D (other tokens) do not.
    limits.learn("GET /users/@me/connections", key("Bearer A"), empty, now);
    CHECK(limits.earliest("GET /users/@me/connections", key("Bearer A")).when == now + 9500ms);
    for (auto other : {"Bearer B", "Bearer C", "Bearer D", "Bot t", "Basic c", ""})
        CHECK(limits.earliest("GET /users/@me/connections", key(other)).when <= now);
    // A route whose bucket Discord has not named yet holds nobody.
    CHECK(limits.earliest("GET /users/@me/guilds", key("Bearer A")).when <= now);

    // The bot's member-add bucket spent on one guild: the other guild goes on.
    limits.learn("PUT /guilds/{guild}/members/{user}", key("Bot t", "1"), empty, now);
    CHECK(limits.earliest("PUT /guilds/{guild}/members/{user}", key("Bot t", "1")).when == now + 9500ms);
    CHECK(limits.earliest("PUT /guilds/{guild}/members/{user}", key("Bot t", "2")).when <= now);
    // An answer with requests left releases the bucket at once.
    limits.learn("PUT /guilds/{guild}/members/{user}", key("Bot t", "1"),
                 answer(201, {{"x-ratelimit-bucket", "c0ffee"}, {"x-ratelimit-remaining", "4"}}), now + 1s);
    CHECK(limits.earliest("PUT /guilds/{guild}/members/{user}", key("Bot t", "1")).when <= now + 1s);

    // A bucket's 429 holds its credential even without a count.
    limits.learn("GET /users/@me", key("Bearer B"),
                 answer(429, {{"x-ratelimit-bucket", "beef"}, {"x-ratelimit-reset-after", "3"}}), now);
    CHECK(limits.earliest("GET /users/@me", key("Bearer B")).when == now + 3s);
    CHECK(limits.earliest("GET /users/@me", key("Bearer C")).when <= now);
}

TEST_CASE("the global limit is per credential; a shared limit holds everyone and is not an invalid request")
{
    auto p = policy();
    p.invalid_requests_per_window = 3;
    request_limits limits(p);
    auto now = std::chrono::steady_clock::now();
    limits.learn("GET /users/@me", key("Bearer A"),
                 answer(429, {{"x-ratelimit-global", "true"}, {"x-ratelimit-scope", "global"}, {"retry-after", "4"}}),
                 now);
    CHECK(limits.earliest("GET /users/@me", key("Bearer A")).when == now + 4s);
    CHECK(limits.earliest("GET /users/@me", key("Bearer A")).scope == discord::oauth2::rate_limit_scope::global);
    CHECK(limits.earliest("GET /users/@me/guilds", key("Bearer A")).when == now + 4s);
    CHECK(limits.earliest("GET /users/@me", key("Bearer B")).when <= now);
    CHECK(limits.earliest("GET /users/@me", key("Bot t")).when <= now);

    // A shared (per-resource) limit: every credential waits on that resource, none on another.
    for (int i = 0; i < 5; ++i)
        limits.learn("PUT /guilds/{guild}/members/{user}", key("Bot t", "7"),
                     answer(429, {{"x-ratelimit-bucket", "ab"}, {"x-ratelimit-remaining", "0"},
                                  {"x-ratelimit-reset-after", "2"}, {"x-ratelimit-scope", "shared"}}),
                     now);
    CHECK(limits.earliest("PUT /guilds/{guild}/members/{user}", key("Bot u", "7")).when == now + 2s);
    CHECK(limits.earliest("PUT /guilds/{guild}/members/{user}", key("Bot u", "7")).scope
          == discord::oauth2::rate_limit_scope::shared);
    CHECK(limits.earliest("PUT /guilds/{guild}/members/{user}", key("Bot t", "7")).scope
          == discord::oauth2::rate_limit_scope::shared);
    CHECK(limits.earliest("PUT /guilds/{guild}/members/{user}", key("Bot u", "8")).when <= now);
    // Five shared 429s and one global one: the net (3 a window) counts only the global one.
    CHECK_FALSE(limits.stopped_until(key("Bearer C"), now));
    // Two more user 429s reach it: Discord counts them toward the ban.
    limits.learn("GET /users/@me", key("Bearer A"), answer(429, {{"x-ratelimit-scope", "user"}}), now);
    CHECK_FALSE(limits.stopped_until(key("Bearer C"), now));
    limits.learn("GET /users/@me", key("Bearer A"), answer(429, {{"x-ratelimit-scope", "user"}}), now);
    CHECK(limits.stopped_until(key("Bearer C"), now));
    // The window's count, as a gauge reads it: 3 now, 0 once the window has passed.
    CHECK(limits.invalid_in_window(now) == 3);
    CHECK(limits.invalid_in_window(now + p.invalid_window) == 0);
}

TEST_CASE("the tables stay under their caps with 100,000 credentials, and ended holds leave")
{
    request_limits limits(policy());
    auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < 100'000; ++i) {
        auto who = key("Bearer user-" + std::to_string(i), std::to_string(i % 97));
        limits.learn("GET /users/@me/connections", who,
                     answer(200, {{"x-ratelimit-bucket", "c0ffee"}, {"x-ratelimit-remaining", "0"},
                                  {"x-ratelimit-reset-after", std::to_string(1 + i % 9)}}),
                     now + std::chrono::microseconds(i));
        limits.learn("GET /users/@me", who, answer(429, {{"x-ratelimit-global", "true"}, {"retry-after", "5"}}),
                     now + std::chrono::microseconds(i));
        limits.learn("GET /users/@me", who, answer(401, {}), now);
    }
    CHECK(limits.held_limits() <= request_limits::max_holds);
    CHECK(limits.tracked_credentials() <= request_limits::max_tracked);
    // The newest holds were kept (the soonest-ending ones made room).
    CHECK(limits.earliest("GET /users/@me", key("Bearer user-99999", "89")).when > now + 4s);
    // Past every window, the next answer clears them all.
    limits.learn("GET /users/@me", key("Bearer late"),
                 answer(200, {{"x-ratelimit-bucket", "c0ffee"}, {"x-ratelimit-remaining", "0"},
                              {"x-ratelimit-reset-after", "1"}}),
                 now + 11s);
    CHECK(limits.held_limits() == 1);
}

TEST_CASE("the major parameter is the id right after /guilds/, /channels/ or /webhooks/")
{
    using discord::oauth2::rest::major_parameter;
    std::string_view api = "https://discord.com/api/v10";
    CHECK(major_parameter("https://discord.com/api/v10/guilds/81/members/9", api) == "81");
    CHECK(major_parameter("https://discord.com/api/v10/channels/5/recipients/9", api) == "5");
    CHECK(major_parameter("https://discord.com/api/v10/webhooks/6?wait=true", api) == "6");
    CHECK(major_parameter("https://discord.com/api/v10/guilds/81", api) == "81");
    CHECK(major_parameter("https://discord.com/api/v10/users/@me/guilds/81/member", api).empty());
    CHECK(major_parameter("https://discord.com/api/v10/applications/1/guilds/81/commands/permissions", api).empty());
    CHECK(major_parameter("https://elsewhere.example/api/v10/guilds/81", api).empty());
}

TEST_CASE("the 401/403 breaker counts per credential")
{
    request_limits limits(policy());
    auto now = std::chrono::steady_clock::now();
    // Ten users' revoked tokens in a row: nobody is stopped, least of all the token endpoint.
    for (int i = 0; i < 10; ++i)
        limits.learn("GET /users/@me", key("Bearer dead-" + std::to_string(i)), answer(401, {}), now);
    for (int i = 0; i < 10; ++i)
        CHECK_FALSE(limits.stopped_until(key("Bearer dead-" + std::to_string(i)), now));
    CHECK_FALSE(limits.stopped_until(key("Basic client"), now));
    CHECK_FALSE(limits.stopped_until(key("Bearer alive"), now));

    // One credential failing three times in a row is stopped for the cooldown; the others are not.
    for (int i = 0; i < 3; ++i)
        limits.learn("GET /users/@me", key("Bearer forged"), answer(403, {}), now);
    REQUIRE(limits.stopped_until(key("Bearer forged"), now));
    CHECK(*limits.stopped_until(key("Bearer forged"), now) == now + 60s);
    CHECK_FALSE(limits.stopped_until(key("Bearer forged"), now + 61s));
    CHECK_FALSE(limits.stopped_until(key("Basic client"), now));
    CHECK_FALSE(limits.stopped_until(key("Bearer dead-1"), now));

    // A success clears a credential's count; a 429 neither counts nor clears.
    limits.learn("GET /users/@me", key("Bearer flaky"), answer(401, {}), now);
    limits.learn("GET /users/@me", key("Bearer flaky"), answer(401, {}), now);
    limits.learn("GET /users/@me", key("Bearer flaky"), answer(200, {}), now);
    limits.learn("GET /users/@me", key("Bearer flaky"), answer(401, {}), now);
    limits.learn("GET /users/@me", key("Bearer flaky"), answer(429, {}), now);
    limits.learn("GET /users/@me", key("Bearer flaky"), answer(401, {}), now);
    CHECK_FALSE(limits.stopped_until(key("Bearer flaky"), now));
    limits.learn("GET /users/@me", key("Bearer flaky"), answer(401, {}), now);
    CHECK(limits.stopped_until(key("Bearer flaky"), now));
}

TEST_CASE("a net under every credential: past the window's limit Bearer requests stop, the token endpoint never")
{
    auto p = policy();
    p.invalid_requests_per_window = 20;
    request_limits limits(p);
    auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < 19; ++i)
        limits.learn("GET /users/@me", key("Bearer dead-" + std::to_string(i)), answer(401, {}), now);
    CHECK_FALSE(limits.stopped_until(key("Bearer alive"), now));
    limits.learn("GET /users/@me", key("Bearer dead-19"), answer(401, {}), now + 1s);
    REQUIRE(limits.stopped_until(key("Bearer alive"), now + 2s));
    CHECK(*limits.stopped_until(key("Bearer alive"), now + 2s) == now + 10min);
    CHECK_FALSE(limits.stopped_until(key("Basic client"), now + 2s)); // code exchanges and refreshes go on
    CHECK_FALSE(limits.stopped_until(key(""), now + 2s));             // a public client's too
    CHECK_FALSE(limits.stopped_until(key("Bearer alive"), now + 10min)); // a new window
}

TEST_CASE("the breaker's memory is bounded and keeps the credentials it stopped")
{
    request_limits limits(policy());
    auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i)
        limits.learn("GET /users/@me", key("Bearer forged"), answer(401, {}), now);
    for (int i = 0; i < 25'000; ++i)
        limits.learn("GET /users/@me", key("Bearer dead-" + std::to_string(i)), answer(401, {}), now);
    CHECK(limits.tracked_credentials() <= 10'000);
    CHECK(limits.stopped_until(key("Bearer forged"), now));
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
