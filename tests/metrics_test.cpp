// What the library counts (metrics.hpp): the counting observer on its own (closed label sets,
// threads), then a whole flow through the web server against the emulator in-process, over
// real loopback sockets: links, waiters, callbacks of every kind, the requests to Discord by
// route and status, a refresh, a revocation, invalid requests, and webhook events.
#include "emulator.hpp"
#include "http/client.hpp"
#include "server/free_port.hpp"
#include "support/ed25519_signer.hpp"
#include "support/query_param.hpp"
#include "support/run.hpp"
#include "support/web_flow.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <thread>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using oauth2::callback_outcome;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake nelly{80351110224678912ULL};
const std::vector<std::string_view> identify{oauth2::scope::identify};

bool in_set(std::span<const std::string_view> set, std::string_view value)
{
    return std::find(set.begin(), set.end(), value) != set.end();
}

struct fixture {
    test::ed25519_signer discord_key; // Discord's side, for the events endpoint
    asio::io_context io;
    std::string redirect = "http://127.0.0.1:" + std::to_string(oauth2::server::free_port()) + "/discord/callback";
    std::shared_ptr<oauth2::metrics_counters> counted = std::make_shared<oauth2::metrics_counters>();
    em::emulator discord;
    oauth2::client client;
    oauth2::web_server web;
    http::client browser;

    fixture()
        : discord(io.get_executor(), test::flow_emulator_options(redirect)),
          client(io.get_executor(), (discord.start(), client_config())), web(io.get_executor(), client, config()),
          browser(io.get_executor())
    {
        web.start();
    }

    oauth2::client_config client_config()
    {
        auto c = test::flow_client_config(discord.url(), redirect);
        c.metrics = counted;
        return c;
    }

    oauth2::web_server_config config()
    {
        oauth2::web_server_config c;
        c.key = oauth2::state_key::generate();
        c.events_path = "/discord/events";
        c.verify_key = discord_key.public_key_hex();
        return c;
    }

    asio::awaitable<http::response> get(std::string target)
    {
        http::request r;
        r.url = std::move(target);
        co_return co_await browser.send(std::move(r));
    }

    asio::awaitable<int> post_event(std::string body, std::string signature)
    {
        auto ts = std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
        http::request r;
        r.method = "POST";
        r.url = "http://127.0.0.1:" + std::to_string(web.port()) + "/discord/events";
        r.fields.add("X-Signature-Ed25519", signature.empty() ? discord_key.sign_hex(ts + body) : signature);
        r.fields.add("X-Signature-Timestamp", ts);
        r.body = std::move(body);
        auto answer = co_await browser.send(std::move(r));
        co_return answer.status;
    }
};

} // namespace

TEST_CASE("the counting observer keeps its label sets closed and adds up across threads")
{
    oauth2::metrics_counters m;
    auto routes = oauth2::request_routes();
    REQUIRE(routes.size() > 20);
    CHECK(routes.back() == "other");
    CHECK(in_set(routes, "POST /oauth2/token (authorization_code)"));
    CHECK(in_set(oauth2::webhook_event_types(), "APPLICATION_DEAUTHORIZED"));
    CHECK(oauth2::to_string(callback_outcome::refused_account) == "refused_account");
    CHECK(oauth2::to_string(oauth2::webhook_outcome::bad_signature) == "bad_signature");

    // A route or event type from outside the sets is never a label of its own.
    m.request_finished("GET /users/80351110224678912", 200, 5ms);
    m.webhook_event_received("SOMETHING_NEW_FROM_A_SENDER", oauth2::webhook_outcome::accepted);
    auto s = m.snapshot();
    REQUIRE(s.requests_by_route.size() == 1);
    CHECK(s.requests_by_route[0].route == "other");
    CHECK(s.requests_by_route[0].seconds_total == doctest::Approx(0.005));
    REQUIRE(s.webhook_events_by_type.size() == 1);
    CHECK(s.webhook_events_by_type[0].type == "other");

    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&m] {
            for (int i = 0; i < 10'000; ++i) {
                m.request_finished("GET /users/@me", i % 2 ? 200 : 429, 1ms);
                m.callback_answered(callback_outcome::authorized);
                m.rate_limit_waited(oauth2::rate_limit_scope::global, 1ms);
            }
        });
    for (auto& t : threads)
        t.join();
    s = m.snapshot();
    CHECK(s.requests_to("GET /users/@me", 200) == 20'000);
    CHECK(s.requests_to("GET /users/@me", 429) == 20'000);
    CHECK(s.callbacks_with(callback_outcome::authorized) == 40'000);
    CHECK(s.rate_limit_waits[static_cast<std::size_t>(oauth2::rate_limit_scope::global)] == 40'000);
    CHECK(s.rate_limit_wait_seconds == doctest::Approx(40.0));
}

TEST_CASE("a flow is counted: link, waiter, callback, replay, forgery, refresh, revocation, invalid requests")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto link = f.web.authorization_url(nelly, identify);
        auto before = f.counted->snapshot();
        CHECK(before.links_created == 1);
        CHECK(before.links_pending == 1);

        std::optional<oauth2::authorization_result> waited;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            waited = co_await f.web.wait_for_access_token(nelly, link, 30s);
        }, asio::detached);
        for (int i = 0; i < 100 && f.counted->snapshot().waiters == 0; ++i)
            co_await test::sleep(5ms);
        CHECK(f.counted->snapshot().waiters == 1);

        auto consent = co_await f.get(link + "&emulator_user=" + nelly.to_string());
        REQUIRE(consent.status == 302);
        std::string callback(*consent.fields.find("location"));
        auto page = co_await f.get(callback);
        CHECK(page.status == 200);
        for (int i = 0; i < 100 && !waited; ++i)
            co_await test::sleep(5ms);
        REQUIRE(waited);
        REQUIRE(*waited);
        auto replayed = co_await f.get(callback); // a reload
        CHECK(replayed.status == 200);
        auto base = "http://127.0.0.1:" + std::to_string(f.web.port()) + f.web.callback_path();
        auto bad = co_await f.get(base + "?code=made-up&state=not-a-state-of-ours");
        CHECK(bad.status == 400);
        // `error=` is anyone's to write: without a state of ours it is no denial.
        auto forged_denial = co_await f.get(base + "?error=access_denied&state=not-a-state-of-ours");
        CHECK(forged_denial.status == 403);
        // A real state with a made-up code: Discord refuses the code, which is the sender's doing.
        auto second = f.web.authorization_url(nelly, identify);
        auto made_up = co_await f.get(base + "?code=made-up&state=" + test::query_param(second, "state"));
        CHECK(made_up.status == 502);

        (void)co_await f.web.refresh_access_token(nelly);
        auto revoked = co_await f.web.revoke_access_token(nelly);
        CHECK(revoked == oauth2::revocation::revoked);
        // A token Discord never issued: a 401, one invalid request in Discord's window.
        auto dead = test::forged_token();
        auto refused = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await f.client.get_current_user(dead);
        });
        CHECK(refused.code() == oauth2::errc::unauthorized);

        auto s = f.counted->snapshot();
        CHECK(s.links_created == 2);
        CHECK(s.links_pending == 0);
        CHECK(s.waiters == 0);
        CHECK(s.callbacks_with(callback_outcome::authorized) == 1);
        CHECK(s.callbacks_with(callback_outcome::replay) == 1);
        CHECK(s.callbacks_with(callback_outcome::invalid_state) == 2);
        CHECK(s.callbacks_with(callback_outcome::denied) == 0);
        CHECK(s.callbacks_with(callback_outcome::code_refused) == 1);
        CHECK(s.callbacks_with(callback_outcome::failed) == 0);
        CHECK(s.requests_to("POST /oauth2/token (authorization_code)", 200) == 1);
        CHECK(s.requests_to("POST /oauth2/token (authorization_code)", 400) == 1);
        CHECK(s.requests_to("GET /oauth2/@me", 200) == 1);
        CHECK(s.requests_to("POST /oauth2/token (refresh_token)", 200) == 1);
        CHECK(s.requests_to("POST /oauth2/token/revoke", 200) == 1);
        CHECK(s.requests_to("GET /users/@me", 401) == 1);
        CHECK(s.refreshes_with(oauth2::refresh_outcome::refreshed) == 1);
        CHECK(s.invalid_requests_in_window == 1);
        CHECK(f.client.invalid_requests_in_window() == 1);
        for (const auto& r : s.requests_by_route) {
            CHECK(in_set(oauth2::request_routes(), r.route));
            CHECK(r.route != "other");
            CHECK(r.seconds_total > 0);
        }
        co_await f.web.stop(1s);
    }());
}

TEST_CASE("webhook requests are counted by outcome, and by type only once signed")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        const std::string ping = R"({"version":1,"application_id":"159799960412356608","type":0})";
        std::string none;
        auto pinged = co_await f.post_event(ping, none);
        CHECK(pinged == 204);
        // Anyone can claim a type: unsigned, it is counted as "unknown".
        std::string claimed = R"({"version":1,"application_id":"159799960412356608","type":1,)"
                              R"("event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2026-01-01T00:00:00","data":{}}})";
        std::string zeros(128, '0');
        auto unsigned_claim = co_await f.post_event(claimed, zeros);
        CHECK(unsigned_claim == 401);
        std::string garbage = "{not json";
        auto unreadable = co_await f.post_event(garbage, none);
        CHECK(unreadable == 400);
        auto s = f.counted->snapshot();
        auto count = [&](std::string_view type, oauth2::webhook_outcome outcome) {
            for (const auto& e : s.webhook_events_by_type)
                if (e.type == type && e.outcome == outcome)
                    return e.count;
            return std::uint64_t{0};
        };
        CHECK(count("PING", oauth2::webhook_outcome::accepted) == 1);
        CHECK(count("unknown", oauth2::webhook_outcome::bad_signature) == 1);
        CHECK(count("unknown", oauth2::webhook_outcome::malformed) == 1);
        CHECK(count("APPLICATION_AUTHORIZED", oauth2::webhook_outcome::bad_signature) == 0);
        co_await f.web.stop(1s);
    }());
}

namespace {

// A store whose writes fail, as a full disk or a read-only database does; it holds nothing.
struct failing_store final : oauth2::token_store {
    asio::awaitable<std::optional<oauth2::stored_grant>> load(snowflake) override { co_return std::nullopt; }
    asio::awaitable<std::optional<std::uint64_t>> compare_and_swap(oauth2::stored_grant) override
    {
        throw oauth2::error(oauth2::errc::store_failed, "the disk is full");
    }
    asio::awaitable<std::uint64_t> save(oauth2::stored_grant) override
    {
        throw oauth2::error(oauth2::errc::store_failed, "the disk is full");
    }
    asio::awaitable<bool> erase(snowflake) override { co_return false; }
    asio::awaitable<std::vector<snowflake>> list() override { co_return std::vector<snowflake>{}; }
    asio::awaitable<std::vector<snowflake>> list_expiring_before(std::chrono::system_clock::time_point) override
    {
        co_return std::vector<snowflake>{};
    }
};

} // namespace

TEST_CASE("a grant the store could not save is a failed callback and the store down, though the person was authorized")
{
    asio::io_context io;
    auto redirect = "http://127.0.0.1:" + std::to_string(oauth2::server::free_port()) + "/discord/callback";
    em::emulator discord(io.get_executor(), test::flow_emulator_options(redirect));
    discord.start();
    auto counted = std::make_shared<oauth2::metrics_counters>();
    auto config = test::flow_client_config(discord.url(), redirect);
    config.metrics = counted;
    oauth2::client client(io.get_executor(), config);
    oauth2::web_server_config wc;
    wc.store = std::make_shared<failing_store>();
    std::optional<oauth2::web_server> web(std::in_place, io.get_executor(), client, wc);
    web->start();
    http::client browser(io.get_executor());
    test::run(io, [&]() -> asio::awaitable<void> {
        auto link = web->authorization_url(nelly, identify);
        http::request consent;
        consent.url = link + "&emulator_user=" + nelly.to_string();
        auto redirected = co_await browser.send(std::move(consent));
        http::request callback;
        callback.url = std::string(redirected.fields.find("location").value_or(""));
        auto page = co_await browser.send(std::move(callback));
        CHECK(page.status == 200); // the person did authorize
        auto s = counted->snapshot();
        CHECK(s.callbacks_with(callback_outcome::failed) == 1);
        CHECK(s.callbacks_with(callback_outcome::authorized) == 0);
        CHECK_FALSE(s.store_up);
        // A link left pending takes itself out of the gauge with its web server.
        (void)web->authorization_url(nelly, identify);
        CHECK(counted->snapshot().links_pending == 1);
        co_await web->stop(1s);
    }());
    web.reset();
    CHECK(counted->snapshot().links_pending == 0);
}
