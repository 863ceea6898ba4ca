// What web servers tell each other through PostgreSQL, attacked by another database role: forged,
// mis-keyed and table-planted outcomes never wake a waiter and are counted; the real flow across
// instances still works. (multi_instance_test covers the flows between processes.)
#include "emulator.hpp"
#include "http/client.hpp"
#include "pg/connection.hpp"
#include "support/postgres_cluster.hpp"
#include "support/query_param.hpp"
#include "support/run.hpp"
#include "web/cluster_messages.hpp"

#include "core/base64.hpp"
#include "core/url_encoding.hpp"
#include "core/url_parts.hpp"
#include "server/free_port.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/postgres_token_store.hpp>
#include <discord/oauth2/scope.hpp>
#include <discord/oauth2/web_server.hpp>

#include <doctest/doctest.h>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace pg = discord::oauth2::pg;
namespace url = discord::oauth2::url;
namespace web = discord::oauth2::web;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

const snowflake nelly{80351110224678912ULL};
const snowflake xiao{613425648685547541ULL};
const std::vector<std::string_view> identify{oauth2::scope::identify};

// A settled message as an instance would send it, for `nonce`, saying `user` authorized.
std::string settled_for(const std::string& raw_nonce, snowflake user)
{
    web::settled_message m;
    m.nonce = web::cluster_nonce(raw_nonce);
    m.user = user;
    m.outcome = oauth2::authorization_outcome::authorized;
    m.page = web::answer{200, web::page_kind::success, "Authorized", "ok"};
    return web::encode_message(m);
}

struct instance {
    std::shared_ptr<oauth2::postgres_token_store> store;
    std::unique_ptr<oauth2::web_server> web;
};

} // namespace

TEST_CASE("forged, mis-keyed, replayed and planted cluster messages never wake a waiter; real ones do")
{
    test::postgres_cluster cluster;
    asio::io_context io;
    auto redirect = "http://127.0.0.1:" + std::to_string(oauth2::server::free_port()) + "/callback";
    em::options eo;
    eo.rate_limits.enabled = false;
    eo.auto_approve = true;
    for (auto& app : eo.world.applications)
        app.redirect_uris.push_back(redirect);
    em::emulator discord(io.get_executor(), eo);
    discord.start();
    oauth2::client_config cc;
    cc.client_id = snowflake(159799960412356608ULL);
    cc.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
    cc.redirect_uri = redirect;
    cc.endpoints = oauth2::endpoints::under(discord.url());
    oauth2::client client(io.get_executor(), cc);
    http::client browser(io.get_executor());
    auto state_key = oauth2::state_key::generate();
    auto store_key = oauth2::store_key::generate();
    instance a, b;

    test::run(io, [&]() -> asio::awaitable<void> {
        instance* both[] = {&a, &b}; // named: g++ 12 and braced lists in coroutines (docs/compilers.md)
        for (auto* i : both) {
            i->store = co_await oauth2::postgres_token_store::open(io.get_executor(), cluster.url(), store_key);
            oauth2::web_server_config config;
            config.key = state_key;
            config.store = i->store;
            config.cluster = i->store;
            if (i == &b)
                config.port = 0; // a has the redirect URI's port
            i->web = std::make_unique<oauth2::web_server>(io.get_executor(), client, std::move(config));
            i->web->start();
        }
        for (int i = 0; i < 200 && !(a.store->listening() && b.store->listening()); ++i)
            co_await test::sleep(5ms);
        co_await test::sleep(50ms);
        auto attacker = co_await pg::connection::connect(io.get_executor(), cluster.url());
        auto notify = [&](const std::string& payload) -> asio::awaitable<void> {
            pg::parameters p{"discord_oauth2", "forger " + payload};
            (void)co_await attacker->query("SELECT pg_notify($1, $2)", p);
        };

        // A waits for Nelly. The attacker knows the nonce (here: the test opens the state).
        auto link = a.web->authorization_url(nelly, identify);
        auto nonce = oauth2::open_state(state_key, test::query_param(link, "state")).nonce;
        // Xiao has a grant: before messages were signed, a forged outcome delivered it to Nelly's waiter.
        oauth2::stored_grant xiao_grant;
        xiao_grant.user_id = xiao;
        xiao_grant.token.token = oauth2::secret("xiao-token");
        co_await b.store->save(std::move(xiao_grant));
        auto forged = settled_for(nonce, xiao);
        co_await notify(forged); // no tag at all
        auto other_key = web::message_key(oauth2::state_key::generate()).seal(forged, std::chrono::system_clock::now());
        co_await notify(other_key);
        auto sealed = web::message_key(state_key).seal(forged, std::chrono::system_clock::now());
        // A real tag, for other text: "m2.<key id>.<tag>." kept, the time and text replaced.
        auto tag_only = sealed.substr(0, sealed.find('.', sealed.find('.', 3) + 1) + 1) + "1." + forged;
        co_await notify(tag_only);
        auto waited = co_await a.web->wait_for_access_token(nelly, link, 500ms);
        CHECK(waited.outcome == oauth2::authorization_outcome::timed_out);
        CHECK(a.web->cluster_messages_dropped() >= 3);
        CHECK(b.web->cluster_messages_dropped() >= 3);

        // Planted in the states table by a role that can write it: read back, refused, counted.
        auto link2 = a.web->authorization_url(nelly, identify);
        auto nonce2 = oauth2::open_state(state_key, test::query_param(link2, "state")).nonce;
        pg::parameters planted{web::cluster_nonce(nonce2), settled_for(nonce2, xiao)};
        (void)co_await attacker->query("INSERT INTO discord_oauth2_states (nonce, expires_at, claimant, outcome)"
                                       " VALUES ($1, 9999999999, 'forger', $2)", planted);
        auto before = a.web->cluster_messages_dropped();
        auto waited2 = co_await a.web->wait_for_access_token(nelly, link2, 500ms);
        CHECK(waited2.outcome == oauth2::authorization_outcome::timed_out);
        CHECK(a.web->cluster_messages_dropped() > before);

        // Signed by an instance, but for another user than the link's: refused too.
        auto link3 = a.web->authorization_url(nelly, identify);
        auto nonce3 = oauth2::open_state(state_key, test::query_param(link3, "state")).nonce;
        auto signed_for_xiao = web::message_key(state_key).seal(settled_for(nonce3, xiao), std::chrono::system_clock::now());
        pg::parameters wrong_user{web::cluster_nonce(nonce3), signed_for_xiao};
        (void)co_await attacker->query("INSERT INTO discord_oauth2_states (nonce, expires_at, claimant, outcome)"
                                       " VALUES ($1, 9999999999, 'forger', $2)", wrong_user);
        before = a.web->cluster_messages_dropped();
        auto waited3 = co_await a.web->wait_for_access_token(nelly, link3, 500ms);
        CHECK(waited3.outcome == oauth2::authorization_outcome::timed_out);
        CHECK(a.web->cluster_messages_dropped() > before);

        // The real thing: the URL made on A, the callback on B, A's waiter gets Nelly's grant.
        auto real = a.web->authorization_url(nelly, identify);
        http::request authorize;
        authorize.url = real + "&emulator_user=" + nelly.to_string();
        auto redirected = co_await browser.send(std::move(authorize));
        REQUIRE(redirected.status == 302);
        auto callback = std::string(*redirected.fields.find("location"));
        callback.replace(callback.find(std::to_string(a.web->port())), std::to_string(a.web->port()).size(),
                         std::to_string(b.web->port()));
        http::request on_b;
        on_b.url = callback;
        CHECK((co_await browser.send(std::move(on_b))).status == 200);
        auto result = co_await a.web->wait_for_access_token(nelly, real, 5s);
        REQUIRE(result);
        CHECK(result->user_id == nelly);

        co_await a.web->stop();
        co_await b.web->stop();
        discord.stop();
    }());
    a.web.reset();
    b.web.reset();
    test::drain(io);
}
