// The callback web server over real loopback sockets, against the emulator in-process: every
// branch of the callback, waiters, events, per-user grants and a graceful stop.
#include "server/free_port.hpp"
#include "emulator.hpp"
#include "support/web_flow.hpp"
#include "http/client.hpp"
#include "support/query_param.hpp"
#include "support/raw_client.hpp"
#include "support/run.hpp"

#include "core/url_encoding.hpp"
#include "core/url_parts.hpp"
#include "tls/self_signed_certificate.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/memory_token_store.hpp>
#include <discord/oauth2/scope.hpp>
#include <discord/oauth2/web_server.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <asio/experimental/as_tuple.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace url = discord::oauth2::url;
namespace scope = discord::oauth2::scope;
using oauth2::secret;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake nelly{80351110224678912ULL};   // the emulator's first user
const snowflake xiao{613425648685547541ULL};   // another user of the default world
// Named: g++ 12 mishandles braced lists inside some coroutines (docs/compilers.md).
const std::vector<std::string_view> identify{scope::identify};
const std::vector<snowflake> two_users{nelly, xiao};
const std::vector<std::string_view> identify_connections{scope::identify, scope::connections};
const std::vector<std::string_view> connections_only{scope::connections};

using discord::oauth2::server::free_port;

struct page {
    int status = 0;
    std::string body;
    http::headers fields;
};

struct fixture {
    asio::io_context io;
    std::string redirect = "http://127.0.0.1:" + std::to_string(free_port()) + "/discord/callback";
    em::emulator discord;
    oauth2::client client;
    http::client browser;
    oauth2::web_server web;

    explicit fixture(oauth2::web_server_config config = with_key(), bool auto_approve = true)
        : redirect(std::string(config.tls_certificate_chain_file ? "https" : "http") + "://127.0.0.1:"
                   + std::to_string(free_port()) + "/discord/callback"),
          discord(io.get_executor(), emulator_options(redirect, auto_approve)),
          client(io.get_executor(), (discord.start(), client_config())),
          browser(io.get_executor(), trusting(config.tls_certificate_chain_file.value_or(""))),
          web(io.get_executor(), client, std::move(config))
    {
        web.start();
    }

    static http::client_options trusting(std::string ca_file)
    {
        http::client_options o;
        o.ca_file = std::move(ca_file);
        return o;
    }

    static oauth2::web_server_config with_key()
    {
        oauth2::web_server_config c;
        c.key = oauth2::state_key::generate();
        return c;
    }

    static em::options emulator_options(const std::string& redirect, bool auto_approve)
    {
        return test::flow_emulator_options(redirect, auto_approve);
    }

    oauth2::client_config client_config() { return test::flow_client_config(discord.url(), redirect); }

    asio::awaitable<page> get(std::string target)
    {
        http::request r;
        r.url = std::move(target);
        auto response = co_await browser.send(std::move(r));
        co_return page{response.status, std::string(response.body.view()), response.fields};
    }

    // Discord's side: the authorize URL (as `user`), answered with a redirect to our callback.
    asio::awaitable<std::string> redirect_for(const std::string& link, snowflake user = nelly)
    {
        auto p = co_await get(link + "&emulator_user=" + user.to_string());
        REQUIRE(p.status == 302);
        co_return std::string(*p.fields.find("location"));
    }

    // The browser's whole trip: authorize, then the callback's page.
    asio::awaitable<page> authorize(const std::string& link, snowflake user = nelly)
    {
        auto callback = co_await redirect_for(link, user);
        co_return co_await get(callback);
    }

    std::string callback_base() const
    {
        return redirect.substr(0, redirect.find(':')) + "://127.0.0.1:" + std::to_string(web.port()) + web.callback_path();
    }
};

std::string with_param(const std::string& u, std::string_view name, std::string_view value)
{
    return u + (u.find('?') == std::string::npos ? "?" : "&") + std::string(name) + "=" + url::percent_encode(value);
}

} // namespace

TEST_CASE("a user authorizes: the waiter gets the token, the page says so, the grant is stored, events flow")
{
    fixture f;
    auto events = f.web.events();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        CHECK(f.web.port() == url::split(f.redirect)->port); // the redirect URI's own port
        auto link = f.web.authorization_url(nelly, identify_connections);
        CHECK(link.find("code_challenge_method=S256") != std::string::npos);
        CHECK(f.web.pending_count() == 1);

        std::optional<oauth2::authorization_result> waited;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            waited = co_await f.web.wait_for_access_token(nelly, link, 30s);
        }, asio::detached);

        auto callback = co_await f.redirect_for(link);
        auto code = test::query_param(callback, "code");
        auto shown = co_await f.get(callback);
        CHECK(shown.status == 200);
        CHECK(shown.body.find("You have authorized the application") != std::string::npos);
        CHECK(shown.body.find(code) == std::string::npos);
        CHECK(shown.fields.find("content-security-policy") == "default-src 'none'; style-src 'unsafe-inline'");
        CHECK(shown.fields.find("cache-control") == "no-store");
        CHECK(shown.fields.find("referrer-policy") == "no-referrer");
        CHECK(shown.fields.find("x-frame-options") == "DENY");

        for (int i = 0; i < 100 && !waited; ++i)
            co_await test::sleep(10ms);
        REQUIRE(waited);
        REQUIRE(*waited);
        CHECK(waited->outcome == oauth2::authorization_outcome::authorized);
        CHECK((*waited)->user_id == nelly);
        CHECK(shown.body.find((*waited)->token.token.reveal()) == std::string::npos);
        auto connections = co_await f.client.get_connections((*waited)->token);
        CHECK(connections.size() == 5);
        CHECK(f.web.pending_count() == 0);

        auto stored = co_await f.web.access_token_for(nelly);
        REQUIRE(stored);
        CHECK(stored->token == (*waited)->token.token);
        // A waiter that comes after the callback gets the same result at once.
        auto late = co_await f.web.wait_for_access_token(nelly, link, 1ms);
        CHECK(late.outcome == oauth2::authorization_outcome::authorized);

        auto first = co_await events.next();
        REQUIRE(first);
        CHECK(first->kind == oauth2::event_kind::authorization_code_received);
        CHECK(first->user_id == nelly);
        auto second = co_await events.next();
        REQUIRE(second);
        CHECK(second->kind == oauth2::event_kind::authorization_code_exchanged);
        CHECK(second->token->token == (*waited)->token.token);
        CHECK(second->claims->flow == "login");
    }());
}

TEST_CASE("a replayed callback gets the first answer and never a second exchange")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto link = f.web.authorization_url(nelly, identify);
        auto callback = co_await f.redirect_for(link);
        auto exchanges = f.discord.calls("POST /api/v10/oauth2/token");
        // A double click: both at once.
        std::optional<page> one, two;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> { one = co_await f.get(callback); }, asio::detached);
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> { two = co_await f.get(callback); }, asio::detached);
        for (int i = 0; i < 200 && !(one && two); ++i)
            co_await test::sleep(10ms);
        REQUIRE(one);
        REQUIRE(two);
        CHECK(one->status == 200);
        CHECK(two->status == 200);
        CHECK(one->body == two->body);
        auto three = co_await f.get(callback); // a prefetch afterwards
        CHECK(three.status == 200);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token") == exchanges + 1);
    }());
}

TEST_CASE("a callback past the exchange limits keeps its state: a reload completes it, and a replay costs nothing")
{
    auto config = fixture::with_key();
    config.exchanges_per_second = 1; // one exchange a second, whoever sends the callback
    fixture f(config);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto first = f.web.authorization_url(nelly, identify);
        auto second = f.web.authorization_url(xiao, identify);
        std::optional<oauth2::authorization_result> waited;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            waited = co_await f.web.wait_for_access_token(xiao, second, 30s);
        }, asio::detached);
        auto first_callback = co_await f.redirect_for(first, nelly);
        auto second_callback = co_await f.redirect_for(second, xiao);
        auto exchanges = f.discord.calls("POST /api/v10/oauth2/token");

        auto one = co_await f.get(first_callback);
        CHECK(one.status == 200);
        auto refused = co_await f.get(second_callback);
        CHECK(refused.status == 429);
        CHECK(refused.fields.find("retry-after").value_or("") == "1");
        CHECK(refused.body.find("reload this page") != std::string::npos);
        CHECK(f.web.exchanges_refused() == 1);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token") == exchanges + 1); // never sent to Discord
        CHECK_FALSE(waited); // the second link is still open

        co_await test::sleep(1100ms); // the second's token is back
        // A double click on the first link is answered with its page and gives back what it was
        // counted: the second's reload still finds its exchange.
        auto again = co_await f.get(first_callback);
        CHECK(again.status == 200);
        auto reloaded = co_await f.get(second_callback);
        CHECK(reloaded.status == 200);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token") == exchanges + 2);
        auto woken = [&] { return waited.has_value(); };
        auto settled = co_await test::wait_until(woken, 5s);
        CHECK(settled);
        REQUIRE(waited);
        CHECK(waited->outcome == oauth2::authorization_outcome::authorized);
        CHECK(f.web.exchanges_refused() == 1);
    }());
}

TEST_CASE("cancel on the consent page: 403 cancelled page, the waiter learns at once, an event says so")
{
    fixture f(fixture::with_key(), false);
    auto events = f.web.events();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto link = f.web.authorization_url(nelly, identify);
        std::optional<oauth2::authorization_result> waited;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            waited = co_await f.web.wait_for_access_token(nelly, link, 60s);
        }, asio::detached);
        // The consent page's Cancel button posts the authorization's parameters back.
        http::request cancel;
        cancel.method = "POST";
        cancel.url = f.discord.url() + "/oauth2/authorize";
        cancel.fields.add("Content-Type", "application/x-www-form-urlencoded");
        cancel.body = url::split(link)->query + "&decision=cancel";
        auto answer = co_await f.browser.send(std::move(cancel));
        REQUIRE(answer.status == 302);
        auto shown = co_await f.get(std::string(*answer.fields.find("location")));
        CHECK(shown.status == 403);
        CHECK(shown.body.find("cancelled") != std::string::npos);
        for (int i = 0; i < 100 && !waited; ++i)
            co_await test::sleep(10ms);
        REQUIRE(waited);
        CHECK_FALSE(*waited);
        CHECK(waited->outcome == oauth2::authorization_outcome::denied);
        CHECK(waited->code == oauth2::errc::access_denied);
        try {
            (void)(*waited)->token;
            FAIL("a denied result gave a grant");
        } catch (const oauth2::error& e) {
            CHECK(e.code() == oauth2::errc::access_denied);
        }
        auto e = co_await events.next();
        REQUIRE(e);
        CHECK(e->kind == oauth2::event_kind::authorization_denied);
        CHECK(e->user_id == nelly);
    }());
}

TEST_CASE("bad callbacks: missing parts, forged, expired, wrong issuer, failed exchange, another account")
{
    auto key = oauth2::state_key::generate();
    oauth2::web_server_config config;
    config.key = key;
    fixture f(config);
    auto events = f.web.events();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto base = f.callback_base();
        auto missing = co_await f.get(with_param(base, "state", "x"));
        CHECK(missing.status == 400);
        CHECK_FALSE(missing.fields.find("strict-transport-security")); // plain http: a browser ignores it
        CHECK((co_await f.get(with_param(base, "code", "x"))).status == 400);

        auto link = f.web.authorization_url(nelly, identify);
        auto callback = co_await f.redirect_for(link);
        auto state = test::query_param(callback, "state");
        auto forged_state = state;
        forged_state[forged_state.size() / 2] = forged_state[forged_state.size() / 2] == 'A' ? 'B' : 'A';
        auto forged = co_await f.get(with_param(with_param(base, "code", test::query_param(callback, "code")), "state", forged_state));
        CHECK(forged.status == 400);
        CHECK(forged.body.find("not valid") != std::string::npos);

        oauth2::state_claims old;
        old.user_id = nelly;
        old.issued_at = std::chrono::system_clock::now() - 20min;
        old.expires_at = std::chrono::system_clock::now() - 10min;
        auto expired = co_await f.get(with_param(with_param(base, "code", "c"), "state", oauth2::seal_state(key, old)));
        CHECK(expired.status == 400);
        CHECK(expired.body.find("start again") != std::string::npos);

        auto wrong_iss = callback.substr(0, callback.find("&iss=")) + "&iss=" + url::percent_encode("https://evil.example");
        auto refused = co_await f.get(wrong_iss);
        CHECK(refused.status == 400);
        auto mixed_up = co_await f.web.wait_for_access_token(nelly, link, 1s);
        CHECK(mixed_up.outcome == oauth2::authorization_outcome::failed);
        CHECK(mixed_up.description.find("expected " + f.discord.url()) != std::string::npos);
        CHECK(mixed_up.description.find("arrived https://evil.example") != std::string::npos);

        // The exchange fails at Discord: 502.
        auto link2 = f.web.authorization_url(nelly, identify);
        auto callback2 = co_await f.redirect_for(link2);
        f.discord.add_fault(em::fault::parse("POST /oauth2/token status=500"));
        auto failed = co_await f.get(callback2);
        f.discord.clear_faults();
        CHECK(failed.status == 502);
        auto result2 = co_await f.web.wait_for_access_token(nelly, link2, 1s);
        CHECK(result2.outcome == oauth2::authorization_outcome::failed);
        CHECK(result2.code == oauth2::errc::server_error);

        // Made for Nelly, authorized by Xiao: 403, and the new grant is revoked at once.
        auto link3 = f.web.authorization_url(nelly, identify);
        auto revocations = f.discord.calls("POST /api/v10/oauth2/token/revoke");
        auto other = co_await f.authorize(link3, xiao);
        CHECK(other.status == 403);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token/revoke") == revocations + 1);
        for (const auto& [id, g] : f.discord.grants().grants())
            CHECK(g.user_id != xiao.value());
        auto result3 = co_await f.web.wait_for_access_token(nelly, link3, 1s);
        CHECK(result3.outcome == oauth2::authorization_outcome::failed);
        CHECK(result3.code == oauth2::errc::forbidden);
        CHECK_FALSE(co_await f.web.access_token_for(xiao));
        CHECK_FALSE(co_await f.web.access_token_for(nelly));

        int errors = 0;
        for (int i = 0; i < 20; ++i) {
            auto e = co_await events.next();
            REQUIRE(e);
            errors += e->kind == oauth2::event_kind::error;
            if (e->kind == oauth2::event_kind::error && e->code == oauth2::errc::forbidden)
                break;
        }
        CHECK(errors >= 3); // issuer, exchange, another account
    }());
}

namespace {

// `u` with its query parameter `name` set to `value` (the way a person edits a link by hand).
std::string replace_param(const std::string& u, std::string_view name, std::string_view value)
{
    auto at = u.find("?" + std::string(name) + "=");
    if (at == std::string::npos)
        at = u.find("&" + std::string(name) + "=");
    REQUIRE(at != std::string::npos);
    auto end = u.find('&', at + 1);
    return u.substr(0, at + 1) + std::string(name) + "=" + url::percent_encode(value)
        + (end == std::string::npos ? "" : u.substr(end));
}

// Every event until the server stops (stop() ends the streams).
asio::awaitable<std::vector<oauth2::event>> all_events(oauth2::web_server& web, oauth2::event_stream& events)
{
    co_await web.stop(1s);
    std::vector<oauth2::event> seen;
    while (auto e = co_await events.next())
        seen.push_back(std::move(*e));
    co_return seen;
}

std::size_t errors_at(const std::vector<oauth2::event>& seen, std::string_view where)
{
    std::size_t n = 0;
    for (const auto& e : seen)
        n += e.kind == oauth2::event_kind::error && e.where == where;
    return n;
}

} // namespace

TEST_CASE("an edited scope cannot pass the account check: a link for one user, authorized by another")
{
    fixture f;
    auto events = f.web.events();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        // Made for Nelly with identify and connections; the attacker drops identify and sends it to Xiao.
        auto link = f.web.authorization_url(nelly, identify_connections);
        auto edited = replace_param(link, "scope", "connections");
        auto revocations = f.discord.calls("POST /api/v10/oauth2/token/revoke");
        auto page = co_await f.authorize(edited, xiao);
        CHECK(page.status == 403);
        CHECK(page.body.find("changed") != std::string::npos);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token/revoke") == revocations + 1);
        for (const auto& [id, g] : f.discord.grants().grants())
            CHECK(g.user_id != xiao.value()); // revoked at Discord
        auto result = co_await f.web.wait_for_access_token(nelly, link, 1s);
        CHECK(result.outcome == oauth2::authorization_outcome::failed);
        CHECK(result.code == oauth2::errc::forbidden);
        CHECK_FALSE(result.grant);
        CHECK_FALSE(co_await f.web.access_token_for(nelly));
        CHECK_FALSE(co_await f.web.access_token_for(xiao));

        // Narrowed the other way (identify kept, connections dropped) by the right user: refused too.
        auto link2 = f.web.authorization_url(nelly, identify_connections);
        auto narrowed = co_await f.authorize(replace_param(link2, "scope", "identify"), nelly);
        CHECK(narrowed.status == 403);
        auto result2 = co_await f.web.wait_for_access_token(nelly, link2, 1s);
        CHECK(result2.outcome == oauth2::authorization_outcome::failed);
        CHECK(result2.description.find("connections") != std::string::npos);
        CHECK_FALSE(co_await f.web.access_token_for(nelly));

        auto seen = co_await all_events(f.web, events);
        CHECK(errors_at(seen, "callback") == 2);
        for (const auto& e : seen)
            CHECK(e.kind != oauth2::event_kind::authorization_code_exchanged);
    }());
}

TEST_CASE("fail closed: when Discord cannot say who authorized, nothing is stored and the grant is revoked")
{
    fixture f;
    auto events = f.web.events();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        const char* faults[] = {"GET /oauth2/@me status=500", "GET /oauth2/@me status=401", "GET /oauth2/@me drop=user"};
        for (const char* spec : faults) {
            CAPTURE(spec);
            auto link = f.web.authorization_url(nelly, identify_connections);
            auto callback = co_await f.redirect_for(link);
            auto revocations = f.discord.calls("POST /api/v10/oauth2/token/revoke");
            f.discord.add_fault(em::fault::parse(spec));
            auto page = co_await f.get(callback);
            f.discord.clear_faults();
            CHECK(page.status == 502);
            CHECK(page.body.find("Authorized") == std::string::npos);
            CHECK(f.discord.calls("POST /api/v10/oauth2/token/revoke") == revocations + 1);
            auto result = co_await f.web.wait_for_access_token(nelly, link, 1s);
            CHECK(result.outcome == oauth2::authorization_outcome::failed);
            CHECK_FALSE(result.grant);
            CHECK_FALSE(co_await f.web.access_token_for(nelly));
        }
        CHECK(f.discord.grants().grants().empty());

        // A good authorization after those: stored, and no false "store" error.
        auto link = f.web.authorization_url(nelly, identify_connections);
        CHECK((co_await f.authorize(link)).status == 200);
        CHECK((co_await f.web.wait_for_access_token(nelly, link, 1s)).outcome == oauth2::authorization_outcome::authorized);
        CHECK(co_await f.web.access_token_for(nelly));
        auto seen = co_await all_events(f.web, events);
        CHECK(errors_at(seen, "store") == 0);
        CHECK(errors_at(seen, "callback") == 3);
    }());
}

namespace {

// A store whose disk has failed: every save throws, as a database would.
class failing_store final : public oauth2::token_store {
public:
    explicit failing_store(std::exception_ptr failure) : failure_(std::move(failure)) {}
    asio::awaitable<std::optional<oauth2::stored_grant>> load(oauth2::snowflake) override { co_return std::nullopt; }
    asio::awaitable<std::optional<std::uint64_t>> compare_and_swap(oauth2::stored_grant) override
    {
        std::rethrow_exception(failure_);
    }
    asio::awaitable<std::uint64_t> save(oauth2::stored_grant) override { std::rethrow_exception(failure_); }
    asio::awaitable<bool> erase(oauth2::snowflake) override { co_return false; }
    asio::awaitable<std::vector<oauth2::snowflake>> list() override { co_return std::vector<oauth2::snowflake>{}; }
    asio::awaitable<std::vector<oauth2::snowflake>> list_expiring_before(std::chrono::system_clock::time_point) override
    {
        co_return std::vector<oauth2::snowflake>{};
    }

private:
    std::exception_ptr failure_;
};

} // namespace

TEST_CASE("a store that fails to save is reported as store_failed, with the store's own code when it has one")
{
    const std::pair<std::exception_ptr, oauth2::errc> failures[] = {
        {std::make_exception_ptr(std::runtime_error("disk I/O error")), oauth2::errc::store_failed},
        {std::make_exception_ptr(oauth2::error(oauth2::errc::store_failed, "PostgreSQL connection failed")),
         oauth2::errc::store_failed},
        {std::make_exception_ptr(oauth2::error(oauth2::errc::grant_altered, "the row was altered")),
         oauth2::errc::grant_altered},
    };
    for (const auto& [failure, expected] : failures) {
        auto config = fixture::with_key();
        config.store = std::make_shared<failing_store>(failure);
        fixture f(std::move(config));
        auto events = f.web.events();
        test::run(f.io, [&]() -> asio::awaitable<void> {
            auto link = f.web.authorization_url(nelly, identify_connections);
            CHECK((co_await f.authorize(link)).status == 200);
            auto seen = co_await all_events(f.web, events);
            REQUIRE(errors_at(seen, "store") == 1);
            for (const auto& e : seen)
                if (e.kind == oauth2::event_kind::error && e.where == "store")
                    CHECK(e.code == expected);
        }());
    }
}

TEST_CASE("1,100 idle sockets from one address cannot keep a real callback from another out")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto link = f.web.authorization_url(nelly, identify);
        auto callback = co_await f.redirect_for(link);
        // One peer opens 1,100 connections and says nothing (more than the 1,024 in all).
        std::vector<asio::ip::tcp::socket> idle;
        for (int i = 0; i < 1100; ++i) {
            asio::ip::tcp::socket s(f.io);
            auto [ec] = co_await s.async_connect({asio::ip::make_address("127.0.0.1"), f.web.port()},
                                                 asio::experimental::as_tuple(asio::use_awaitable));
            if (!ec)
                idle.push_back(std::move(s));
        }
        CHECK(idle.size() > 1000);
        co_await test::sleep(100ms); // every one of them accepted (and most turned away)
        // Another peer's browser: its callback is served at once, not held behind them.
        auto other = co_await test::connect_from("127.0.0.2", f.web.port());
        auto target = callback.substr(callback.find(f.web.callback_path()));
        auto request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        co_await asio::async_write(other.socket, asio::buffer(request), asio::use_awaitable);
        auto page = co_await test::read_response(other, 5000ms);
        CHECK(page.status == 200);
        CHECK((co_await f.web.wait_for_access_token(nelly, link, 1s)).outcome == oauth2::authorization_outcome::authorized);
    }());
}

TEST_CASE("a callback with neither code nor error leaves its state unspent for the real one")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto link = f.web.authorization_url(nelly, identify);
        auto callback = co_await f.redirect_for(link);
        auto bare = with_param(f.callback_base(), "state", test::query_param(callback, "state"));
        CHECK((co_await f.get(bare)).status == 400);
        CHECK((co_await f.get(with_param(bare, "code", ""))).status == 400);
        auto real = co_await f.get(callback); // before the fix: "Link already used", 30 s later
        CHECK(real.status == 200);
        auto result = co_await f.web.wait_for_access_token(nelly, link, 1s);
        CHECK(result.outcome == oauth2::authorization_outcome::authorized);
    }());
}

TEST_CASE("a link made for a user always asks for identify; URLs made elsewhere are accepted with the key")
{
    auto key = oauth2::state_key::generate();
    oauth2::web_server_config config;
    config.key = key;
    fixture f(config);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto link = f.web.authorization_url(xiao, connections_only);
        CHECK(test::query_param(link, "scope") == "identify connections");
        auto shown = co_await f.authorize(link, nelly); // Discord says who: not the link's user
        CHECK(shown.status == 403);
        auto refused = co_await f.web.wait_for_access_token(xiao, link, 1s);
        CHECK(refused.outcome == oauth2::authorization_outcome::failed);
        auto own = f.web.authorization_url(xiao, connections_only);
        CHECK((co_await f.authorize(own, xiao)).status == 200);
        auto result = co_await f.web.wait_for_access_token(xiao, own, 1s);
        REQUIRE(result);
        CHECK(result->user_id == xiao);
        CHECK(result->token.has_scope("connections"));

        // The seed's way: a URL built with the client, a state sealed with the server's key.
        oauth2::state_claims claims;
        claims.user_id = nelly;
        claims.issued_at = std::chrono::system_clock::now();
        claims.expires_at = claims.issued_at + 5min;
        oauth2::authorization_request request;
        request.scopes = {"identify"};
        request.pkce = false;
        request.state = oauth2::seal_state(key, claims);
        auto elsewhere = f.client.authorization_url(request).url;
        auto before = f.web.pending_count();
        f.web.submit_pending(elsewhere);
        CHECK(f.web.pending_count() == before + 1);
        CHECK((co_await f.authorize(elsewhere)).status == 200);
        CHECK((co_await f.web.wait_for_access_token(nelly, elsewhere, 1s)).outcome
              == oauth2::authorization_outcome::authorized);

        request.state = oauth2::seal_state(oauth2::state_key::generate(), claims);
        CHECK_THROWS_AS(f.web.submit_pending(f.client.authorization_url(request).url), oauth2::error);
        auto wrong_user = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await f.web.wait_for_access_token(xiao, elsewhere, 1s);
        });
        CHECK(wrong_user.code() == oauth2::errc::invalid_argument);
    }());
}

TEST_CASE("waiters time out, can be cancelled, and many wait for one URL; stop ends them and the streams")
{
    fixture f;
    auto events = f.web.events();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        using namespace asio::experimental::awaitable_operators;
        auto link = f.web.authorization_url(nelly, identify);
        auto timed_out = co_await f.web.wait_for_access_token(nelly, link, 20ms);
        CHECK(timed_out.outcome == oauth2::authorization_outcome::timed_out);

        asio::steady_timer t(f.io, 20ms);
        auto either = co_await (f.web.wait_for_access_token(nelly, link, 60s) || t.async_wait(asio::use_awaitable));
        CHECK(either.index() == 1); // the timer won; the wait was cancelled cleanly

        int done = 0;
        std::vector<oauth2::authorization_result> results;
        for (int i = 0; i < 10; ++i)
            asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
                results.push_back(co_await f.web.wait_for_access_token(nelly, link, 60s));
                ++done;
            }, asio::detached);
        co_await test::sleep(10ms);
        CHECK((co_await f.authorize(link)).status == 200);
        for (int i = 0; i < 100 && done < 10; ++i)
            co_await test::sleep(10ms);
        CHECK(done == 10);
        for (const auto& r : results)
            CHECK(r.outcome == oauth2::authorization_outcome::authorized);

        auto pending = f.web.authorization_url(xiao, identify);
        std::optional<oauth2::authorization_result> cut;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            cut = co_await f.web.wait_for_access_token(xiao, pending, 60s);
        }, asio::detached);
        std::optional<bool> stream_ended;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            while (co_await events.next()) {
            }
            stream_ended = true;
        }, asio::detached);
        co_await test::sleep(10ms);
        co_await f.web.stop();
        for (int i = 0; i < 100 && !(cut && stream_ended); ++i)
            co_await test::sleep(10ms);
        REQUIRE(cut);
        CHECK(cut->outcome == oauth2::authorization_outcome::stopped);
        CHECK(stream_ended);
        CHECK_THROWS_AS((void)f.web.authorization_url(nelly, identify), oauth2::error);
        CHECK((co_await f.web.wait_for_access_token(xiao, pending, 60s)).outcome == oauth2::authorization_outcome::stopped);
    }());
}

TEST_CASE("a link's record lives as long as its link, keeps no token, and late waiters read the store")
{
    auto config = fixture::with_key();
    config.state_lifetime = 2s;
    fixture f(config);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto used = f.web.authorization_url(nelly, identify);
        auto unused = f.web.authorization_url(xiao, identify);
        CHECK(f.web.pending_count() == 2);
        // A waiter before the callback gets the grant itself; once it lets go, nothing holds it.
        std::optional<oauth2::authorization_result> early;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            early = co_await f.web.wait_for_access_token(nelly, used, 30s);
        }, asio::detached);
        std::optional<oauth2::authorization_result> expired;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            expired = co_await f.web.wait_for_access_token(xiao, unused, 60s);
        }, asio::detached);
        co_await test::sleep(10ms);
        CHECK((co_await f.authorize(used)).status == 200);
        co_await test::wait_until([&] { return early.has_value(); }, 10s);
        REQUIRE(early);
        REQUIRE(early->grant);
        std::weak_ptr<const oauth2::authorized_grant> held = early->grant;
        early.reset();
        CHECK(held.expired()); // the settled record kept no token
        CHECK(f.web.pending_count() == 1);
        CHECK(f.web.remembered_count() == 2);

        // A waiter after the callback: the grant the store holds now.
        auto late = co_await f.web.wait_for_access_token(nelly, used, 30s);
        REQUIRE(late.outcome == oauth2::authorization_outcome::authorized);
        auto stored = co_await f.web.access_token_for(nelly);
        REQUIRE(stored);
        CHECK(late->token.token.reveal() == stored->token.reveal());
        // Revoked since: no grant, said so.
        CHECK(co_await f.web.revoke_access_token(nelly) == oauth2::revocation::revoked);
        auto after_revoke = co_await f.web.wait_for_access_token(nelly, used, 30s);
        CHECK(after_revoke.outcome == oauth2::authorization_outcome::failed);
        CHECK(after_revoke.code == oauth2::errc::no_grant);

        // When the links expire their records leave, and their waiters learn why.
        co_await test::wait_until([&] { return f.web.remembered_count() == 0; }, 10s);
        CHECK(f.web.remembered_count() == 0);
        CHECK(f.web.pending_count() == 0);
        co_await test::wait_until([&] { return expired.has_value(); }, 5s);
        REQUIRE(expired);
        CHECK(expired->outcome == oauth2::authorization_outcome::timed_out);
        CHECK(expired->code == oauth2::errc::state_expired);
    }());
}

TEST_CASE("a callback whose exchange ends after its link expired still reaches its waiter")
{
    auto config = fixture::with_key();
    config.state_lifetime = 2s;
    fixture f(config);
    f.discord.add_fault(em::fault::parse("POST /oauth2/token latency=1500"));
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto made = std::chrono::steady_clock::now();
        auto link = f.web.authorization_url(nelly, identify);
        std::optional<oauth2::authorization_result> result;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            result = co_await f.web.wait_for_access_token(nelly, link, 30s);
        }, asio::detached);
        auto callback = co_await f.redirect_for(link);
        co_await test::sleep(std::chrono::duration_cast<std::chrono::milliseconds>(made + 1s - std::chrono::steady_clock::now()));
        // Sent within the link's lifetime; Discord's answer comes after it has ended.
        auto page = co_await f.get(callback);
        CHECK(page.status == 200);
        co_await test::wait_until([&] { return result.has_value(); }, 10s);
        REQUIRE(result);
        CHECK(result->outcome == oauth2::authorization_outcome::authorized);
        CHECK(std::chrono::steady_clock::now() - made > 2s);
    }());
}

TEST_CASE("a slow subscriber is told what it missed and never blocks the server")
{
    auto config = fixture::with_key();
    config.event_queue_capacity = 2;
    fixture f(config);
    auto slow = f.web.events();
    auto other = f.web.events();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i)
            CHECK((co_await f.authorize(f.web.authorization_url(nelly, identify))).status == 200);
        // 6 events, room for 2: two delivered, then the count of the 4 dropped.
        auto a = co_await slow.next();
        auto b = co_await slow.next();
        auto c = co_await slow.next();
        REQUIRE((a && b && c));
        CHECK(a->kind == oauth2::event_kind::authorization_code_received);
        CHECK(b->kind == oauth2::event_kind::authorization_code_exchanged);
        CHECK(c->kind == oauth2::event_kind::events_missed);
        CHECK(c->missed == 4);
        auto d = co_await other.next();
        REQUIRE(d);
        CHECK(d->kind == oauth2::event_kind::authorization_code_received);
    }());
}

TEST_CASE("per-user grants: refresh, revoke, and the bulk operations go on past failures")
{
    fixture f;
    auto events = f.web.events();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        for (auto user : two_users)
            CHECK((co_await f.authorize(f.web.authorization_url(user, identify), user)).status == 200);
        auto before = *co_await f.web.access_token_for(nelly);
        auto renewed = co_await f.web.refresh_access_token(nelly);
        CHECK(renewed.token != before.token);
        CHECK((*co_await f.web.access_token_for(nelly)).token == renewed.token);

        // Xiao's grant dies at Discord behind the server's back: refresh_all reports it and goes on.
        auto xiao_token = *co_await f.web.access_token_for(xiao);
        co_await f.client.revoke(xiao_token.token);
        auto refreshed = co_await f.web.refresh_all();
        REQUIRE(refreshed.succeeded.size() == 1);
        CHECK(refreshed.succeeded[0] == nelly);
        REQUIRE(refreshed.failed.size() == 1);
        CHECK(refreshed.failed[0].first == xiao);
        CHECK(refreshed.failed[0].second == oauth2::errc::invalid_grant);

        auto revocations = f.discord.calls("POST /api/v10/oauth2/token/revoke");
        CHECK(co_await f.web.revoke_access_token(nelly) == oauth2::revocation::revoked);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token/revoke") == revocations + 1);
        CHECK_FALSE(co_await f.web.access_token_for(nelly));
        // No grant any more: reported, not thrown, and nothing is sent.
        CHECK(co_await f.web.revoke_access_token(nelly) == oauth2::revocation::no_grant);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token/revoke") == revocations + 1);

        // Xiao's grant was flagged by refresh_all: its tokens are dead, so it is forgotten, not "revoked".
        auto revocations_before_all = f.discord.calls("POST /api/v10/oauth2/token/revoke");
        auto all = co_await f.web.revoke_all();
        CHECK(all.succeeded.empty());
        CHECK(all.failed.empty());
        REQUIRE(all.forgotten.size() == 1);
        CHECK(all.forgotten[0] == xiao);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token/revoke") == revocations_before_all);
        CHECK_FALSE(co_await f.web.access_token_for(xiao));

        int refreshed_events = 0, revoked_events = 0;
        for (int i = 0; i < 12; ++i) {
            auto e = co_await events.next();
            REQUIRE(e);
            refreshed_events += e->kind == oauth2::event_kind::access_token_refreshed;
            revoked_events += e->kind == oauth2::event_kind::access_token_revoked;
            if (revoked_events == 1 && refreshed_events == 2)
                break;
        }
        CHECK(refreshed_events == 2);
        CHECK(revoked_events == 1);
    }());
}

TEST_CASE("a grant whose refresh answer was lost is forgotten by revoke_all, never reported revoked")
{
    fixture f;
    test::run(f.io, [&]() -> asio::awaitable<void> {
        CHECK((co_await f.authorize(f.web.authorization_url(nelly, identify), nelly)).status == 200);
        CHECK((co_await f.authorize(f.web.authorization_url(xiao, identify), xiao)).status == 200);
        // Discord rotates Nelly's tokens, the answer never arrives: the stored ones are dead.
        f.discord.add_fault(em::fault::parse("POST /oauth2/token reset-after"));
        auto lost = co_await test::expect_error([&]() -> asio::awaitable<void> { (void)co_await f.web.refresh_access_token(nelly); });
        f.discord.clear_faults();
        CHECK(lost.code() == oauth2::errc::outcome_unknown);
        auto flagged = co_await f.web.grants_needing_reauthorization();
        REQUIRE(flagged.size() == 1);
        CHECK(flagged[0] == nelly);

        auto revocations = f.discord.calls("POST /api/v10/oauth2/token/revoke");
        auto all = co_await f.web.revoke_all();
        REQUIRE(all.succeeded.size() == 1);
        CHECK(all.succeeded[0] == xiao);
        REQUIRE(all.forgotten.size() == 1);
        CHECK(all.forgotten[0] == nelly);
        CHECK(all.failed.empty());
        CHECK(f.discord.calls("POST /api/v10/oauth2/token/revoke") == revocations + 1); // Xiao's only
        // Discord still holds Nelly's authorization (what "forgotten" tells the caller), and not Xiao's.
        int nelly_grants = 0, xiao_grants = 0;
        for (const auto& [id, g] : f.discord.grants().grants()) {
            nelly_grants += g.user_id == nelly.value();
            xiao_grants += g.user_id == xiao.value();
        }
        CHECK(nelly_grants == 1);
        CHECK(xiao_grants == 0);
        CHECK_FALSE(co_await f.web.access_token_for(nelly));
    }());
}

TEST_CASE("1,000 concurrent flows through one server, each waiter gets its own user's grant")
{
    auto config = fixture::with_key();
    config.event_queue_capacity = 10;
    config.limits.max_connections_per_peer = 0; // a thousand browsers on one address
    config.exchanges_per_minute_per_client = 0;  // ... each with a code to exchange, at once
    config.exchanges_per_second = 0;
    fixture f(config);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        int authorized = 0;
        int finished = 0;
        for (int i = 0; i < 1000; ++i) {
            auto user = i % 2 ? nelly : xiao;
            asio::co_spawn(f.io, [&, user]() -> asio::awaitable<void> {
                auto link = f.web.authorization_url(user, identify);
                std::optional<oauth2::authorization_result> r;
                asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
                    r = co_await f.web.wait_for_access_token(user, link, 60s);
                }, asio::detached);
                auto shown = co_await f.authorize(link, user);
                while (!r)
                    co_await test::sleep(5ms);
                authorized += shown.status == 200 && *r && (*r)->user_id == user;
                ++finished;
            }, asio::detached);
        }
        while (finished < 1000)
            co_await test::sleep(20ms);
        CHECK(authorized == 1000);
        CHECK(f.web.pending_count() == 0);
    }(), std::chrono::seconds(120));
}

TEST_CASE("any server holding the key takes any callback: the state, not the port, routes it")
{
    auto key = oauth2::state_key::generate();
    oauth2::web_server_config config;
    config.key = key;
    fixture f(config);
    oauth2::web_server_config second_config;
    second_config.key = key;
    second_config.port = 0; // another instance behind the same public redirect URI
    oauth2::web_server second(f.io.get_executor(), f.client, second_config);
    second.start();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto for_nelly = f.web.authorization_url(nelly, identify);
        auto for_xiao = f.web.authorization_url(xiao, identify);
        // Xiao's redirect lands on the second instance, Nelly's on the first.
        auto callback = co_await f.redirect_for(for_xiao, xiao);
        auto query = callback.substr(callback.find('?'));
        auto on_second = co_await f.get("http://127.0.0.1:" + std::to_string(second.port()) + second.callback_path() + query);
        CHECK(on_second.status == 200);
        auto theirs = co_await second.wait_for_access_token(xiao, for_xiao, 1s);
        REQUIRE(theirs);
        CHECK(theirs->user_id == xiao);
        CHECK((co_await f.authorize(for_nelly, nelly)).status == 200);
        auto mine = co_await f.web.wait_for_access_token(nelly, for_nelly, 1s);
        REQUIRE(mine);
        CHECK(mine->user_id == nelly);
        co_await second.stop();
    }());
}

namespace {

// A store whose list also names a user without a grant: what revoke_all meets when another
// instance removes a grant between its list and its turn.
class store_with_a_vanished_user final : public oauth2::token_store {
public:
    explicit store_with_a_vanished_user(snowflake vanished) : vanished_(vanished) {}
    asio::awaitable<std::optional<oauth2::stored_grant>> load(snowflake user) override { return inner_.load(user); }
    asio::awaitable<std::optional<std::uint64_t>> compare_and_swap(oauth2::stored_grant g) override
    {
        return inner_.compare_and_swap(std::move(g));
    }
    asio::awaitable<std::uint64_t> save(oauth2::stored_grant g) override { return inner_.save(std::move(g)); }
    asio::awaitable<bool> erase(snowflake user) override { return inner_.erase(user); }
    asio::awaitable<std::vector<snowflake>> list() override
    {
        auto users = co_await inner_.list();
        users.push_back(vanished_);
        co_return users;
    }
    asio::awaitable<std::vector<snowflake>> list_expiring_before(std::chrono::system_clock::time_point when) override
    {
        return inner_.list_expiring_before(when);
    }

private:
    snowflake vanished_;
    oauth2::memory_token_store inner_;
};

} // namespace

TEST_CASE("revoking a user without a grant is reported, not thrown: per user and in revoke_all")
{
    auto config = fixture::with_key();
    config.store = std::make_shared<store_with_a_vanished_user>(xiao);
    fixture f(std::move(config));
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto link = f.web.authorization_url(nelly, identify);
        CHECK((co_await f.authorize(link)).status == 200);
        REQUIRE(co_await f.web.wait_for_access_token(nelly, link)); // one minute, as DisCatSharp's
        CHECK(&f.web.client() == &f.client);
        CHECK(co_await f.web.revoke_access_token(xiao) == oauth2::revocation::no_grant);
        auto revocations = f.discord.calls("POST /api/v10/oauth2/token/revoke");
        auto all = co_await f.web.revoke_all();
        CHECK(all.succeeded == std::vector<snowflake>{nelly});
        CHECK(all.absent == std::vector<snowflake>{xiao});
        CHECK(all.failed.empty());
        CHECK(all.forgotten.empty());
        CHECK(f.discord.calls("POST /api/v10/oauth2/token/revoke") == revocations + 1); // nelly's only
    }());
}

TEST_CASE("the grant operations, stop and the event stream with completion tokens")
{
    fixture f;
    auto events = f.web.events();
    oauth2::event_filter refreshes_only;
    refreshes_only.kind = oauth2::event_kind::access_token_refreshed;
    auto refreshes = f.web.events(refreshes_only);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        using asio::experimental::as_tuple;
        auto link = f.web.authorization_url(nelly, identify_connections);
        CHECK((co_await f.authorize(link)).status == 200);
        auto [waited_ec, waited] = co_await f.web.async_wait_for_access_token(nelly, link, 30s,
                                                                             as_tuple(asio::use_awaitable));
        CHECK_FALSE(waited_ec);
        CHECK(waited.outcome == oauth2::authorization_outcome::authorized);

        // The event stream: the authorization's events, then a refresh's, as error-code completions.
        auto [e1, first] = co_await events.async_next(as_tuple(asio::use_awaitable));
        CHECK_FALSE(e1);
        REQUIRE(first);
        CHECK(first->kind == oauth2::event_kind::authorization_code_received);

        auto [stored_ec, stored] = co_await f.web.async_access_token_for(nelly, as_tuple(asio::use_awaitable));
        CHECK_FALSE(stored_ec);
        REQUIRE(stored);
        auto [fresh_ec, fresh] = co_await f.web.async_fresh_access_token(nelly, as_tuple(asio::use_awaitable));
        CHECK_FALSE(fresh_ec);
        CHECK(fresh.token == stored->token);
        auto [refreshed_ec, refreshed] = co_await f.web.async_refresh_access_token(nelly, as_tuple(asio::use_awaitable));
        CHECK_FALSE(refreshed_ec);
        CHECK_FALSE(refreshed.token == stored->token);
        auto refresh_event = co_await refreshes.next_for(10s);
        REQUIRE(refresh_event);
        CHECK(refresh_event->kind == oauth2::event_kind::access_token_refreshed);
        CHECK(refresh_event->user_id == nelly);
        auto [lost_ec, lost] = co_await f.web.async_grants_needing_reauthorization(as_tuple(asio::use_awaitable));
        CHECK_FALSE(lost_ec);
        CHECK(lost.empty());
        auto [all_ec, all] = co_await f.web.async_refresh_all(as_tuple(asio::use_awaitable));
        CHECK_FALSE(all_ec);
        CHECK(all.succeeded == std::vector<oauth2::snowflake>{nelly});
        auto [revoked_ec, revoked] = co_await f.web.async_revoke_access_token(nelly, as_tuple(asio::use_awaitable));
        CHECK_FALSE(revoked_ec);
        CHECK(revoked == oauth2::revocation::revoked);
        // No grant any more: the awaitable form's no_grant, as an error code.
        auto [missing_ec, missing] = co_await f.web.async_fresh_access_token(nelly, as_tuple(asio::use_awaitable));
        CHECK(missing_ec == oauth2::errc::no_grant);
        auto [none_ec, none] = co_await f.web.async_revoke_all(as_tuple(asio::use_awaitable));
        CHECK_FALSE(none_ec);
        CHECK(none.succeeded.empty());

        auto [stop_ec] = co_await f.web.async_stop(1s, as_tuple(asio::use_awaitable));
        CHECK_FALSE(stop_ec);
        // The stream drains what was published, then ends with nullopt.
        for (;;) {
            auto [ec, e] = co_await events.async_next(as_tuple(asio::use_awaitable));
            CHECK_FALSE(ec);
            if (!e)
                break;
        }
    }());
}

TEST_CASE("async_wait_for_access_token takes any completion token: a plain callback here")
{
    fixture f;
    auto link = f.web.authorization_url(nelly, identify);
    std::optional<oauth2::authorization_result> got;
    std::error_code failure;
    f.web.async_wait_for_access_token(nelly, link, 30s, [&](std::error_code ec, oauth2::authorization_result r) {
        failure = ec;
        got = std::move(r);
    });
    std::error_code refused;
    std::string why;
    oauth2::error_details details;
    f.web.async_wait_for_access_token(nelly, "http://127.0.0.1/no-state", 30s,
                                      oauth2::with_details(details, [&](std::error_code ec, oauth2::authorization_result) {
                                          refused = ec;
                                      }, &why));
    test::run(f.io, [&]() -> asio::awaitable<void> {
        CHECK((co_await f.authorize(link)).status == 200);
        for (int i = 0; i < 100 && !got; ++i)
            co_await test::sleep(10ms);
    }());
    REQUIRE(got);
    CHECK_FALSE(failure);
    CHECK(got->outcome == oauth2::authorization_outcome::authorized);
    CHECK(refused == oauth2::errc::invalid_state);
    CHECK(why.find("no state") != std::string::npos);
}

TEST_CASE("over TLS, on every interface, and a stop that lets the callback in flight finish")
{
    auto dir = std::filesystem::temp_directory_path() / ("web-server-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto cert = discord::oauth2::tls::write_self_signed_certificate(dir.string());
    auto config = fixture::with_key();
    config.tls_certificate_chain_file = cert.certificate_file;
    config.tls_private_key_file = cert.private_key_file;
    config.listen_all = true;
    fixture f(config);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        CHECK(f.redirect.starts_with("https://"));
        auto link = f.web.authorization_url(nelly, identify);
        auto callback = co_await f.redirect_for(link);
        CHECK(callback.starts_with("https://127.0.0.1:"));
        // Every interface: the same callback server answers on IPv6 loopback too.
        auto v6 = "https://[::1]:" + std::to_string(f.web.port()) + f.web.callback_path() + "?state=x";
        auto refused = co_await f.get(v6);
        CHECK(refused.status == 400);
        // Pages over TLS pin the host to https (HSTS), the refusals included.
        CHECK(refused.fields.find("strict-transport-security") == "max-age=31536000");

        // The exchange takes a while; stop() is called meanwhile and waits for it.
        f.discord.add_fault(em::fault::parse("POST /oauth2/token latency=300"));
        std::optional<page> shown;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> { shown = co_await f.get(callback); }, asio::detached);
        std::optional<oauth2::authorization_result> waited;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            waited = co_await f.web.wait_for_access_token(nelly, link, 60s);
        }, asio::detached);
        co_await test::sleep(100ms);
        co_await f.web.stop();
        for (int i = 0; i < 100 && !(shown && waited); ++i)
            co_await test::sleep(10ms);
        REQUIRE(shown);
        CHECK(shown->status == 200);
        REQUIRE(waited);
        CHECK(waited->outcome == oauth2::authorization_outcome::authorized);
    }());
    std::filesystem::remove_all(dir);
}

TEST_CASE("page templates replace the built-in pages, escaped; a public base URL must prefix the redirect URI")
{
    auto config = fixture::with_key();
    config.pages.success = "<!doctype html><title>{{title}}</title><p class=mine>{{message}}</p>";
    config.pages.invalid = "<p class=bad>{{title}}: {{message}}</p>";
    fixture f(config);
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto ok = co_await f.authorize(f.web.authorization_url(nelly, identify));
        CHECK(ok.status == 200);
        CHECK(ok.body.starts_with("<!doctype html><title>Authorized</title><p class=mine>You have authorized"));
        CHECK(ok.fields.find("x-frame-options") == "DENY");
        auto bad = co_await f.get(with_param(with_param(f.callback_base(), "code", "c"), "state", "<script>"));
        CHECK(bad.status == 400);
        CHECK(bad.body == "<p class=bad>Invalid link: This authorization link is not valid. Please start again from the bot.</p>");
    }());

    oauth2::web_server_config proxied;
    proxied.public_base_url = "https://bot.example.com";
    CHECK_THROWS_AS(oauth2::web_server(f.io.get_executor(), f.client, proxied), oauth2::error);

    // A link's lifetime: more than nothing, and no later than open_state can read back.
    for (auto lifetime : {std::chrono::seconds(0), std::chrono::seconds(-5), std::chrono::seconds(367LL * 24 * 3600),
                          std::chrono::seconds(8'000'000'000LL)}) {
        oauth2::web_server_config odd;
        odd.state_lifetime = lifetime;
        CHECK_THROWS_AS(oauth2::web_server(f.io.get_executor(), f.client, odd), oauth2::error);
    }
    oauth2::web_server_config year;
    year.state_lifetime = std::chrono::hours(24 * 366);
    oauth2::web_server longest(f.io.get_executor(), f.client, year);
    CHECK(longest.authorization_url(nelly, identify).find("state=") != std::string::npos);
}

TEST_CASE("auto refresh: grants kept fresh in the background, a lost grant is an event and listed")
{
    auto config = fixture::with_key();
    oauth2::refresher_config keep;
    keep.margin = std::chrono::hours(24 * 30); // every 7-day token is due
    keep.scan_interval = std::chrono::seconds(1);
    config.auto_refresh = keep;
    fixture f(config);
    auto events = f.web.events();
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto calls = f.discord.calls("POST /api/v10/oauth2/token");
        CHECK((co_await f.authorize(f.web.authorization_url(nelly, identify))).status == 200);
        // The background loop found it due: a refresh follows the exchange.
        for (int i = 0; i < 1000 && f.discord.calls("POST /api/v10/oauth2/token") < calls + 2; ++i)
            co_await test::sleep(10ms);
        CHECK(f.discord.calls("POST /api/v10/oauth2/token") >= calls + 2);
        auto fresh = co_await f.web.fresh_access_token(nelly);
        CHECK((*co_await f.web.access_token_for(nelly)).token == fresh.token);

        co_await f.client.revoke(fresh.token); // the grant dies at Discord
        auto lost = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await f.web.refresh_access_token(nelly);
        });
        CHECK(lost.needs_reauthorization());
        auto needing = co_await f.web.grants_needing_reauthorization();
        REQUIRE(needing.size() == 1);
        CHECK(needing[0] == nelly);

        bool refreshed = false, lost_event = false;
        for (int i = 0; i < 20 && !lost_event; ++i) {
            auto e = co_await events.next();
            REQUIRE(e);
            refreshed = refreshed || e->kind == oauth2::event_kind::access_token_refreshed;
            lost_event = e->kind == oauth2::event_kind::grant_lost;
        }
        CHECK(refreshed);
        CHECK(lost_event);
    }());
}

TEST_CASE("openid: the waiter gets the ID token's verified claims; a callback without a valid ID token is refused")
{
    fixture f;
    const std::vector<std::string_view> openid{scope::identify, "openid", scope::email};
    test::run(f.io, [&]() -> asio::awaitable<void> {
        auto link = f.web.authorization_url(nelly, openid);
        auto nonce = test::query_param(link, "nonce");
        CHECK(nonce.size() >= 22);
        std::optional<oauth2::authorization_result> waited;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            waited = co_await f.web.wait_for_access_token(nelly, link, 30s);
        }, asio::detached);
        auto shown = co_await f.authorize(link);
        CHECK(shown.status == 200);
        for (int i = 0; i < 100 && !waited; ++i)
            co_await test::sleep(10ms);
        REQUIRE(waited);
        REQUIRE(*waited);
        REQUIRE((*waited)->id_token);
        const auto& claims = *(*waited)->id_token;
        CHECK(claims.subject == "80351110224678912");
        CHECK(claims.nonce == nonce);
        CHECK(claims.email);
        // The nonce is not the state's own (that one binds the linked roles cookie).
        CHECK(link.find(nonce) == link.find("nonce=") + 6);

        // Discord answers without the ID token: refused, nothing stored, the grant revoked.
        f.discord.add_fault(em::fault::parse("POST /oauth2/token drop=id_token"));
        const std::vector<std::string_view> openid_only{scope::identify, "openid"};
        auto second = f.web.authorization_url(xiao, openid_only);
        std::optional<oauth2::authorization_result> refused;
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            refused = co_await f.web.wait_for_access_token(xiao, second, 30s);
        }, asio::detached);
        auto page = co_await f.authorize(second, xiao);
        CHECK(page.status == 502);
        for (int i = 0; i < 100 && !refused; ++i)
            co_await test::sleep(10ms);
        REQUIRE(refused);
        CHECK(refused->outcome == oauth2::authorization_outcome::failed);
        CHECK(refused->code == oauth2::errc::invalid_id_token);
        CHECK_FALSE(co_await f.web.access_token_for(xiao));
        for (const auto& [id, g] : f.discord.grants().grants())
            CHECK(g.user_id != xiao.value()); // revoked at the emulator
    }());
}
