// `discord-oauth2 serve` driven as a process, as a bot in another language drives it: the ready
// line, links and fresh tokens over the control interface (a Unix socket, or a loopback port
// behind a bearer key), the emulator's webhook events reaching its events endpoint, one JSON line
// per event and never a token in them, SIGTERM; and two serve processes over one PostgreSQL
// store acting as one bot.
#include "http/client.hpp"
#include "server/free_port.hpp"
#include "support/postgres_cluster.hpp"
#include "support/process.hpp"
#include "support/query_param.hpp"
#include "support/serve_harness.hpp"
#include "support/run.hpp"

#include <discord/oauth2/client.hpp>
#include <discord/oauth2/state.hpp>

#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <simdjson.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using namespace std::chrono_literals;

using namespace serve_harness;

TEST_CASE("serve: links and tokens over a 0600 Unix socket, events as JSON lines, deauthorization, SIGTERM")
{
    scratch s;
    auto web_port = oauth2::server::free_port();
    auto redirect = port_url(web_port, "/callback");
    emulator_process discord({redirect});
    auto env = environment(discord, redirect);
    env["DISCORD_STORE"] = "sqlite:" + (s.dir / "grants.db").string();
    env["DISCORD_STORE_KEY_FILE"] = s.file("store.key", std::string(64, 'c') + "\n");
    auto socket = (s.dir / "control.sock").string();
    serve_process serve({"--control", "unix:" + socket, "--scope", "identify", "connections"}, env);

    json_doc ready(serve.lines.front());
    CHECK(ready.text("callback_url") == redirect);
    CHECK(ready.text("events_url") == port_url(web_port, "/discord/events"));
    CHECK(ready.root["linked_roles_url"].is_null());
    CHECK(ready.text("control") == "unix:" + socket);
    struct stat st {};
    REQUIRE(::stat(socket.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    // The bot asks for a link; the person opens it; the sidecar says so.
    auto link = unix_request(socket, "POST", "/link", R"({"user_id":")" + nelly + R"("})");
    REQUIRE(link.status == 200);
    json_doc made(link.body);
    CHECK(made.text("url").find("scope=identify%20connections") != std::string::npos);
    CHECK(open_link(made.text("url"), nelly) == 200);
    auto exchanged = serve.await_event("authorization_code_exchanged", nelly);
    REQUIRE_FALSE(exchanged.empty());
    CHECK(exchanged.find("\"scopes\":[\"identify\",\"connections\"]") != std::string::npos);

    // A fresh token for the bot, which Discord takes.
    auto token = unix_request(socket, "GET", "/grants/" + nelly + "/token");
    REQUIRE(token.status == 200);
    json_doc t(token.body);
    auto access = t.text("access_token");
    {
        asio::io_context io;
        oauth2::client_config c;
        c.client_id = oauth2::snowflake(159799960412356608ULL);
        c.endpoints = oauth2::endpoints::under(discord.url);
        oauth2::client client(io.get_executor(), c);
        test::run(io, [&]() -> asio::awaitable<void> {
            oauth2::access_token bearer;
            bearer.token = oauth2::secret(access);
            bearer.scopes = {"identify", "connections"};
            auto me = co_await client.get_current_user(bearer);
            CHECK(me.id.to_string() == nelly);
        }());
    }

    // Bad requests are answered, not fatal.
    CHECK(unix_request(socket, "POST", "/link", "not json").status == 400);
    CHECK(unix_request(socket, "POST", "/link", R"({"user_id":"nobody"})").status == 400);
    CHECK(unix_request(socket, "GET", "/grants/613425648685547541/token").status == 404);
    // Every answer is JSON, the interface's own mistakes included.
    auto nowhere = unix_request(socket, "GET", "/nowhere");
    CHECK(nowhere.status == 404);
    CHECK(nowhere.body == R"({"error":"not_found","message":"Not Found"})");
    auto wrong_method = unix_request(socket, "DELETE", "/link");
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.body == R"({"error":"method_not_allowed","message":"Method Not Allowed"})");

    // Discord's events reach the sidecar: the URL is checked (a signed PING, a badly signed
    // one), then the user removes the app, and the grant is gone.
    discord.subscribe(port_url(web_port, "/discord/events"));
    auto removed = discord.call("POST", "/_emulator/users/" + nelly + "/deauthorize", "");
    CHECK(removed.status == 200);
    auto deauthorized = serve.await_event("application_deauthorized", nelly);
    REQUIRE_FALSE(deauthorized.empty());
    CHECK(deauthorized.find("\"type\":\"APPLICATION_DEAUTHORIZED\"") != std::string::npos);
    CHECK(unix_request(socket, "GET", "/grants/" + nelly + "/token").status == 404);

    CHECK(serve.stop() == 0);
    CHECK_FALSE(std::filesystem::exists(socket));
    for (const auto& line : serve.lines) {
        INFO(line);
        CHECK(line.find(access) == std::string::npos);
        json_doc each(line); // every line is JSON
    }
}

TEST_CASE("serve --link-lifetime: a link expires when the operator says; a malformed lifetime is a usage error")
{
    scratch s;
    auto web_port = oauth2::server::free_port();
    auto redirect = port_url(web_port, "/callback");
    emulator_process discord({redirect});
    auto env = environment(discord, redirect);
    auto socket = (s.dir / "control.sock").string();
    {
        serve_process serve({"--control", "unix:" + socket, "--link-lifetime", "2s"}, env);
        auto link = unix_request(socket, "POST", "/link", R"({"user_id":")" + nelly + R"("})");
        REQUIRE(link.status == 200);
        json_doc made(link.body);
        std::this_thread::sleep_for(std::chrono::milliseconds(2600));
        CHECK(open_link(made.text("url"), nelly) == 400); // the expired-link page
        auto fresh = unix_request(socket, "POST", "/link", R"({"user_id":")" + nelly + R"("})");
        json_doc again(fresh.body);
        CHECK(open_link(again.text("url"), nelly) == 200); // within its two seconds
        CHECK(serve.stop() == 0);
    }
    for (const char* bad : {"0", "soon", "1500ms", "2d", "-5s"}) {
        CAPTURE(bad);
        auto r = test::run_program(CLI_PROGRAM, {"serve", "--link-lifetime", bad}, env);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("--link-lifetime") != std::string::npos);
    }
}

TEST_CASE("serve --trusted-proxy: behind a proxy, the linked roles path counts each client it forwards for; "
          "the exchange limits take whole numbers")
{
    scratch s;
    auto web_port = oauth2::server::free_port();
    auto redirect = port_url(web_port, "/callback");
    emulator_process discord({redirect});
    auto env = environment(discord, redirect);
    auto socket = (s.dir / "control.sock").string();
    {
        serve_process serve({"--control", "unix:" + socket, "--linked-roles-path", "/linked-role", "--trusted-proxy",
                             "127.0.0.1", "::1"},
                            env);
        auto visit = [&](const std::string& client) {
            asio::io_context io;
            http::client browser(io.get_executor());
            int status = 0;
            test::run(io, [&]() -> asio::awaitable<void> {
                http::request r;
                r.url = port_url(web_port, "/linked-role");
                r.fields.add("X-Forwarded-For", client);
                status = (co_await browser.send(std::move(r))).status;
            }());
            return status;
        };
        for (int i = 0; i < 10; ++i)
            CHECK(visit("203.0.113.7") == 302);
        CHECK(visit("203.0.113.7") == 429); // ten a minute per client
        CHECK(visit("203.0.113.8") == 302); // another client behind the same proxy
        CHECK(serve.stop() == 0);
    }
    auto r = test::run_program(CLI_PROGRAM, {"serve", "--trusted-proxy", "proxy.example"}, env);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--trusted-proxy") != std::string::npos);
    auto many = test::run_program(CLI_PROGRAM, {"serve", "--exchanges-per-second", "many"}, env);
    CHECK(many.exit_code == 2);
    CHECK(many.err.find("--exchanges-per-second takes a whole number") != std::string::npos);
}

TEST_CASE("serve never stalls when its reader does: lines are dropped, counted, and an events_missed line says so")
{
    scratch s;
    auto web_port = oauth2::server::free_port();
    auto redirect = port_url(web_port, "/callback");
    emulator_process discord({redirect});
    auto env = environment(discord, redirect);
    auto socket = (s.dir / "control.sock").string();
    serve_process serve({"--control", "unix:" + socket}, env);
    // 3,000 denials, one event line each, while nobody reads standard output: far more than
    // the pipe (64 KiB) and the sidecar's queue (256 KiB) hold.
    constexpr int denials = 3000;
    asio::io_context io;
    http::client browser(io.get_executor());
    auto deny = [&](int count) {
        test::run(io, [&]() -> asio::awaitable<void> {
            for (int i = 0; i < count; ++i) {
                auto link = unix_request(socket, "POST", "/link", R"({"user_id":")" + nelly + R"("})");
                REQUIRE(link.status == 200);
                json_doc made(link.body);
                http::request callback;
                callback.url = redirect + "?error=access_denied&state=" + test::query_param(made.text("url"), "state");
                auto page = co_await browser.send(std::move(callback));
                REQUIRE(page.status == 403);
            }
        }(), std::chrono::seconds(120));
    };
    deny(denials);
    // Still serving: the control interface answers at once (it froze here before).
    auto alive = unix_request(socket, "POST", "/link", R"({"user_id":")" + nelly + R"("})");
    CHECK(alive.status == 200);
    // The bot reads again: what was queued, then, with the next event, how many it missed.
    int received = 0;
    for (auto line = test::read_line_within(serve.process.out, 2s); !line.empty();
         line = test::read_line_within(serve.process.out, 2s))
        received += line.find("\"event\":\"authorization_denied\"") != std::string::npos;
    CHECK(received > 0);
    CHECK(received < denials);
    deny(1);
    auto notice = test::read_line_within(serve.process.out, 5s);
    INFO(notice);
    REQUIRE(notice.find("\"event\":\"events_missed\"") != std::string::npos);
    json_doc missed(notice);
    CHECK(received + static_cast<int>(std::int64_t(missed.root["missed"])) == denials);
    CHECK(test::read_line_within(serve.process.out, 5s).find("authorization_denied") != std::string::npos);
    CHECK(serve.stop() == 0);
}

TEST_CASE("serve: a loopback control port needs the bearer key from a private file")
{
    scratch s;
    auto web_port = oauth2::server::free_port();
    auto redirect = port_url(web_port, "/callback");
    emulator_process discord({redirect});
    auto env = environment(discord, redirect);
    const std::string key = "0123456789abcdef0123456789abcdef0123456789abcdef";
    auto key_file = s.file("control.key", key + "\n");
    auto control_port = oauth2::server::free_port();
    {
        serve_process serve({"--control", port_url(control_port, ""), "--control-key-file", key_file}, env);
        CHECK(serve.control == port_url(control_port, ""));
        auto base = serve.control;
        auto body = R"({"user_id":")" + nelly + R"("})";
        CHECK(tcp_request(base, "POST", "/link", body, "").status == 401);
        CHECK(tcp_request(base, "POST", "/link", body, key + "x").status == 401);
        CHECK(tcp_request(base, "POST", "/link", body, key.substr(1)).status == 401);
        auto made = tcp_request(base, "POST", "/link", body, key);
        CHECK(made.status == 200);
        CHECK(made.body.find("\"url\":\"") != std::string::npos);
        // The server core's own answers are JSON here too.
        auto nowhere = tcp_request(base, "GET", "/nowhere", "", key);
        CHECK(nowhere.status == 404);
        CHECK(nowhere.body == R"({"error":"not_found","message":"Not Found"})");

        // The key rotated on SIGHUP: both accepted while the bot moves, then only the new one.
        const std::string next = "fedcba9876543210fedcba9876543210fedcba9876543210";
        CHECK(tcp_request(base, "POST", "/link", body, next).status == 401);
        s.file("control.key", "# the new key first\n" + next + "\n" + key + "\n");
        CHECK(serve.reload_keys().find("\"control_keys\":2") != std::string::npos);
        CHECK(tcp_request(base, "POST", "/link", body, next).status == 200);
        CHECK(tcp_request(base, "POST", "/link", body, key).status == 200);
        s.file("control.key", next + "\n");
        CHECK(serve.reload_keys().find("\"control_keys\":1") != std::string::npos);
        CHECK(tcp_request(base, "POST", "/link", body, key).status == 401);
        CHECK(tcp_request(base, "POST", "/link", body, next).status == 200);
        // A note without its # is not made a key: the reload is refused, the keys kept.
        s.file("control.key", next + "\nrotated on Monday by the operator on call, see ticket\n");
        CHECK(serve.reload_keys().find("\"complete\":false") != std::string::npos);
        CHECK(tcp_request(base, "POST", "/link", body, next).status == 200);
        CHECK(serve.stop() == 0);
        s.file("control.key", key + "\n");
    }

    // Refused at start, with one line saying why: a key file others can read, a short key, a
    // port off loopback, a port without a key.
    auto readable = s.file("readable.key", key + "\n", false);
    auto r1 = test::run_program(CLI_PROGRAM, {"serve", "--control", port_url(control_port, ""), "--control-key-file", readable}, env);
    CHECK(r1.exit_code == 1);
    CHECK(r1.err.find("chmod 600") != std::string::npos);
    CHECK(r1.err.find(key) == std::string::npos);
    auto short_key = s.file("short.key", "too-short\n");
    auto r2 = test::run_program(CLI_PROGRAM, {"serve", "--control", port_url(control_port, ""), "--control-key-file", short_key}, env);
    CHECK(r2.exit_code == 1);
    CHECK(r2.err.find("at least 32 characters") != std::string::npos);
    auto r3 = test::run_program(CLI_PROGRAM, {"serve", "--control", "http://0.0.0.0:" + std::to_string(control_port), "--control-key-file", key_file}, env);
    CHECK(r3.exit_code == 1);
    CHECK(r3.err.find("loopback") != std::string::npos);
    auto r4 = test::run_program(CLI_PROGRAM, {"serve", "--control", port_url(control_port, "")}, env);
    CHECK(r4.exit_code == 2);
    CHECK(r4.err.find("--control-key-file") != std::string::npos);
    // A Unix path that is some other file is never replaced.
    auto other = s.file("not-a-socket", "keep me");
    auto r5 = test::run_program(CLI_PROGRAM, {"serve", "--control", "unix:" + other}, env);
    CHECK(r5.exit_code == 1);
    CHECK(r5.err.find("is not a socket") != std::string::npos);
    std::ifstream kept(other);
    std::string content((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
    CHECK(content == "keep me");
}

TEST_CASE("two serve processes over one PostgreSQL store are one bot: both print every event, a deauthorization ends the grant for both")
{
    scratch s;
    test::postgres_cluster db;
    auto port_a = oauth2::server::free_port();
    auto port_b = oauth2::server::free_port();
    auto redirect = port_url(port_a, "/callback"); // the load balancer's address, here A's
    // The events go to A, set from the emulator's command line this time.
    emulator_process discord({redirect}, {"--event-webhook", port_url(port_a, "/discord/events")});
    auto env = environment(discord, redirect);
    env["DISCORD_STORE"] = db.url();
    env["DISCORD_STORE_KEY_FILE"] = s.file("store.key", std::string(64, 'd') + "\n");
    env["DISCORD_STATE_KEY_FILE"] = s.file("state.key", std::string(64, 'e') + "\n");
    auto socket_a = (s.dir / "a.sock").string();
    auto socket_b = (s.dir / "b.sock").string();
    serve_process a({"--control", "unix:" + socket_a}, env);
    serve_process b({"--control", "unix:" + socket_b, "--port", std::to_string(port_b)}, env);

    // B makes the link; the callback comes to A (it holds the redirect URI): one bot.
    auto link = unix_request(socket_b, "POST", "/link", R"({"user_id":")" + nelly + R"("})");
    REQUIRE(link.status == 200);
    CHECK(open_link(json_doc(link.body).text("url"), nelly) == 200);
    CHECK_FALSE(a.await_event("authorization_code_exchanged", nelly).empty());
    CHECK_FALSE(b.await_event("authorization_code_exchanged", nelly).empty());
    CHECK(unix_request(socket_b, "GET", "/grants/" + nelly + "/token").status == 200);

    // The deauthorization removes the grant from the shared store, and B hears of it too.
    CHECK(discord.call("POST", "/_emulator/users/" + nelly + "/deauthorize", "").status == 200);
    CHECK_FALSE(a.await_event("application_deauthorized", nelly).empty());
    CHECK_FALSE(b.await_event("application_deauthorized", nelly).empty());
    CHECK(unix_request(socket_a, "GET", "/grants/" + nelly + "/token").status == 404);
    CHECK(unix_request(socket_b, "GET", "/grants/" + nelly + "/token").status == 404);

    // Each event was handled once: one deauthorization line per instance.
    CHECK(a.stop() == 0);
    CHECK(b.stop() == 0);
    for (auto* p : {&a, &b}) {
        auto count = std::count_if(p->lines.begin(), p->lines.end(), [](const std::string& l) {
            return l.find("\"event\":\"application_deauthorized\"") != std::string::npos;
        });
        CHECK(count == 1);
    }
}

TEST_CASE("rotating keys on two serve processes over PostgreSQL, as docs/security.md says, while links are made and redeemed")
{
    scratch s;
    test::postgres_cluster db;
    auto port_a = oauth2::server::free_port();
    auto port_b = oauth2::server::free_port();
    auto redirect = port_url(port_a, "/callback");
    emulator_process discord({redirect});
    const std::string old_state(64, '1'), new_state(64, '2'), old_store(64, '3'), new_store(64, '4');
    auto id_of = [](const std::string& hex) {
        std::string bytes;
        for (std::size_t i = 0; i < hex.size(); i += 2)
            bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        return oauth2::state_key::from_bytes(bytes).id_text();
    };
    // Each instance has its own key files, so that one can be a step ahead of the other.
    auto keys = [&](const std::string& who, const std::string& state, const std::string& store) {
        s.file("state-" + who + ".key", state);
        s.file("store-" + who + ".key", store);
    };
    keys("a", old_state + "\n", old_store + "\n");
    keys("b", old_state + "\n", old_store + "\n");
    auto env = environment(discord, redirect);
    env["DISCORD_STORE"] = db.url();
    auto socket_a = (s.dir / "a.sock").string();
    auto socket_b = (s.dir / "b.sock").string();
    auto env_a = env, env_b = env;
    env_a["DISCORD_STATE_KEY_FILE"] = (s.dir / "state-a.key").string();
    env_a["DISCORD_STORE_KEY_FILE"] = (s.dir / "store-a.key").string();
    env_b["DISCORD_STATE_KEY_FILE"] = (s.dir / "state-b.key").string();
    env_b["DISCORD_STORE_KEY_FILE"] = (s.dir / "store-b.key").string();
    serve_process a({"--control", "unix:" + socket_a}, env_a);
    serve_process b({"--control", "unix:" + socket_b, "--port", std::to_string(port_b)}, env_b);
    // The emulator's four people.
    const std::string discord_user = "268473310986240001", zoe = "175928847299117063", xiaolong = "613425648685547541";
    auto make_link = [&](const std::string& socket, const std::string& user) {
        auto link = unix_request(socket, "POST", "/link", R"({"user_id":")" + user + R"("})");
        REQUIRE(link.status == 200);
        return json_doc(link.body).text("url");
    };
    // A link made on one instance, its callback coming to A (which holds the redirect URI), and
    // the maker hearing the outcome: B only through the cluster's signed messages.
    auto flow = [&](serve_process& maker, const std::string& socket, const std::string& user) {
        CHECK(open_link(make_link(socket, user), user) == 200);
        CHECK_FALSE(maker.await_event("authorization_code_exchanged", user).empty());
    };
    auto token_status = [&](const std::string& socket, const std::string& user, std::string* body = nullptr) {
        auto answer = unix_request(socket, "GET", "/grants/" + user + "/token");
        if (body)
            *body = answer.body;
        return answer.status;
    };

    // Before the rotation: two grants under the old store key, and two links under the old
    // state key: one redeemed only after the rotation, one never before the old key goes.
    flow(a, socket_a, nelly);
    flow(b, socket_b, discord_user);
    auto early_link = make_link(socket_b, zoe);
    auto stale_link = make_link(socket_b, xiaolong);

    // 1. The new key added second everywhere: nothing seals with it yet.
    keys("a", old_state + "\n" + new_state + "\n", old_store + "\n" + new_store + "\n");
    keys("b", old_state + "\n" + new_state + "\n", old_store + "\n" + new_store + "\n");
    for (auto* p : {&a, &b}) {
        auto line = p->reload_keys();
        CHECK(line.find("\"state_keys\":[\"" + id_of(old_state) + "\",\"" + id_of(new_state) + "\"]") != std::string::npos);
        CHECK(line.find("\"complete\":true") != std::string::npos);
    }
    flow(b, socket_b, zoe);

    // 2. Promoted on A first: A seals grants and signs its cluster messages under the new keys
    // while B still seals its links under the old one; each opens and verifies the other's.
    keys("a", new_state + "\n" + old_state + "\n", new_store + "\n" + old_store + "\n");
    auto promoted = a.reload_keys();
    CHECK(promoted.find("\"state_keys\":[\"" + id_of(new_state) + "\",\"" + id_of(old_state) + "\"]") != std::string::npos);
    CHECK(promoted.find("\"store_keys\":[\"" + id_of(new_store) + "\",\"" + id_of(old_store) + "\"]") != std::string::npos);
    flow(b, socket_b, xiaolong); // B's link (old key) redeemed at A, whose outcome (new key) B hears
    keys("b", new_state + "\n" + old_state + "\n", new_store + "\n" + old_store + "\n");
    CHECK(b.reload_keys().find("\"store_keys\":[\"" + id_of(new_store) + "\",") != std::string::npos);
    // A link made before the rotation redeems after it.
    CHECK(open_link(early_link, zoe) == 200);
    CHECK(b.await_events("authorization_code_exchanged", zoe, 2));

    // A ring that lacks a grant's key (Nelly's is still under the old one): a clear error naming
    // the key, and the grant there again once the key is back.
    keys("a", new_state + "\n" + old_state + "\n", new_store + "\n");
    CHECK(a.reload_keys().find("\"complete\":true") != std::string::npos);
    std::string body;
    CHECK(token_status(socket_a, nelly, &body) == 500);
    INFO(body);
    CHECK(body.find("wrong_store_key") != std::string::npos);
    CHECK(body.find("sealed under key " + id_of(old_store)) != std::string::npos);
    CHECK(token_status(socket_b, nelly) == 200); // B still holds the old key
    keys("a", new_state + "\n" + old_state + "\n", new_store + "\n" + old_store + "\n");
    CHECK(a.reload_keys().find("\"complete\":true") != std::string::npos);
    CHECK(token_status(socket_a, nelly) == 200);

    // 3. grants rekey, beside the live instances: Nelly's and discord's grants re-sealed.
    auto rekey_env = env;
    rekey_env["DISCORD_STORE_KEY_FILE"] = (s.dir / "store-a.key").string();
    // The store's own work talks to nobody: no client id is asked for.
    rekey_env.erase("DISCORD_CLIENT_ID");
    rekey_env.erase("DISCORD_CLIENT_SECRET");
    auto rekeyed = test::run_program(CLI_PROGRAM, {"grants", "rekey"}, rekey_env);
    INFO(rekeyed.err);
    REQUIRE(rekeyed.exit_code == 0);
    json_doc report(rekeyed.out);
    CHECK(std::int64_t(report.root["resealed"]) == 2);
    CHECK(std::int64_t(report.root["current"]) == 2);
    auto again = test::run_program(CLI_PROGRAM, {"grants", "rekey"}, rekey_env);
    REQUIRE(again.exit_code == 0);
    CHECK(std::int64_t(json_doc(again.out).root["resealed"]) == 0);

    // 4. After a link lifetime the old keys go: every grant still opens, on both; a link sealed
    // only under the dropped state key gets the expired-link page.
    keys("a", new_state + "\n", new_store + "\n");
    keys("b", new_state + "\n", new_store + "\n");
    for (auto* p : {&a, &b})
        CHECK(p->reload_keys().find("\"complete\":true") != std::string::npos);
    for (const auto& user : {nelly, discord_user, zoe, xiaolong}) {
        CAPTURE(user);
        CHECK(token_status(socket_a, user) == 200);
        CHECK(token_status(socket_b, user) == 200);
    }
    std::string page;
    CHECK(open_link(stale_link, xiaolong, &page) == 400);
    CHECK(page.find("expired") != std::string::npos);
    flow(b, socket_b, nelly);

    // A bad key file on SIGHUP keeps the ring in use and says so.
    s.file("store-b.key", "not a key\n");
    auto refused = b.reload_keys();
    CHECK(refused.find("\"complete\":false") != std::string::npos);
    CHECK(std::any_of(b.lines.begin(), b.lines.end(), [](const std::string& l) {
        return l.find("\"event\":\"error\"") != std::string::npos && l.find("line 1 is not a key") != std::string::npos;
    }));
    CHECK(token_status(socket_b, nelly) == 200);
    CHECK(a.stop() == 0);
    // A SIGTERM while a reload is under way (the store's round trip) still stops it.
    ::kill(b.process.pid, SIGHUP);
    CHECK(b.stop() == 0);
}
