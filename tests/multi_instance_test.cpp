// Several instances of a bot over one PostgreSQL database (a throwaway cluster) and the emulator,
// each instance a process of its own (tests/programs/instance_child.cpp): a URL made on A whose
// callback lands on B, one state sent to both at once, refreshes from two processes, PostgreSQL
// restarting under a run of flows, and an instance killed with SIGKILL.
#include "support/authorize.hpp"
#include "support/emulator_thread.hpp"
#include "support/postgres_cluster.hpp"
#include "support/process.hpp"
#include "support/run.hpp"

#include "http/client.hpp"
#include "server/free_port.hpp"

#include <discord/oauth2/postgres_token_store.hpp>
#include <discord/oauth2/state.hpp>

#include <doctest/doctest.h>

#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using oauth2::snowflake;
using namespace std::chrono_literals;

namespace {

std::string hex(const std::string& bytes)
{
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

// One instance_child, with its output read line by line under a deadline.
class instance {
public:
    instance(const std::string& db_url, const oauth2::store_key& store, const std::string& state_key,
             const std::string& api_base)
    {
        child_ = test::spawn_with_input(INSTANCE_CHILD, {db_url, store.to_hex().reveal(), hex(state_key), api_base,
                                              std::to_string(discord::oauth2::server::free_port())});
        auto ready = expect([](const std::string& l) { return l.starts_with("ready "); }, 30s);
        port = static_cast<std::uint16_t>(std::stoi(ready.substr(6)));
    }
    ~instance()
    {
        if (child_.pid > 0) {
            ::kill(child_.pid, SIGKILL);
            (void)test::wait_exit(child_);
        }
    }
    instance(const instance&) = delete;
    instance& operator=(const instance&) = delete;

    std::string expect_line(const std::string& exact, std::chrono::milliseconds timeout)
    {
        return expect([&](const std::string& l) { return l == exact; }, timeout, "\"" + exact + "\"");
    }

    struct result {
        std::string outcome;
        std::string code;
        std::string token_hash;
    };

    // "result ID OUTCOME CODE TOKEN_HASH", taken apart.
    result expect_result(const std::string& id, std::chrono::milliseconds timeout)
    {
        auto line = expect([&](const std::string& l) { return l.starts_with("result " + id + " "); }, timeout,
                           "the result of " + id);
        std::istringstream words(line);
        std::string word, got;
        result r;
        words >> word >> got >> r.outcome >> r.code >> r.token_hash;
        return r;
    }

    void send(const std::string& command)
    {
        auto line = command + "\n";
        REQUIRE(::write(in(), line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    }

    // The first line (since the last call) that satisfies `wanted`; the others are kept in seen.
    std::string expect(const std::function<bool(const std::string&)>& wanted, std::chrono::milliseconds timeout,
                       const std::string& what = "a line")
    {
        // Lines already read first, then the pipe.
        for (auto it = pending_.begin(); it != pending_.end(); ++it)
            if (wanted(*it)) {
                auto found = *it;
                pending_.erase(it);
                return found;
            }
        auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
                auto line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                seen.push_back(line);
                if (wanted(line))
                    return line;
                pending_.push_back(line);
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                break;
            pollfd p{child_.out, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                break;
            char buf[4096];
            auto n = ::read(child_.out, buf, sizeof buf);
            if (n <= 0)
                break;
            buffer_.append(buf, static_cast<std::size_t>(n));
        }
        std::string lines;
        for (const auto& l : pending_)
            lines += "\n  " + l;
        FAIL("instance on port " << port << ": " << what << " did not come; unclaimed lines:" << lines
                                 << "\nstderr: " << stderr_text());
        return {};
    }

    std::string url_for(std::uint64_t user)
    {
        send("url " + std::to_string(user));
        return expect([](const std::string& l) { return l.starts_with("url "); }, 10s).substr(4);
    }

    void kill_now()
    {
        ::kill(child_.pid, SIGKILL);
        CHECK(test::wait_exit(child_) == 128 + SIGKILL);
        child_.pid = -1;
    }

    bool saw(const std::string& line) const { return std::find(seen.begin(), seen.end(), line) != seen.end(); }

    std::uint16_t port = 0;
    std::vector<std::string> seen;

private:
    int in() const { return child_.in; }
    std::string stderr_text()
    {
        pollfd p{child_.err, POLLIN, 0};
        std::string text;
        char buf[4096];
        while (::poll(&p, 1, 0) > 0) {
            auto n = ::read(child_.err, buf, sizeof buf);
            if (n <= 0)
                break;
            text.append(buf, static_cast<std::size_t>(n));
        }
        return text;
    }

    test::child child_;
    std::string buffer_;
    std::vector<std::string> pending_;
};

struct page {
    int status = 0;
    std::string location;
};

// What a browser signed in as `user` does with the authorization URL at the (auto-approving)
// emulator: the redirect.
std::string consent(const std::string& authorization_url, std::uint64_t user)
{
    asio::io_context io;
    http::client browser(io.get_executor());
    std::string location;
    test::run(io, [&]() -> asio::awaitable<void> {
        http::request r;
        r.url = authorization_url + "&emulator_user=" + std::to_string(user);
        auto answer = co_await browser.send(std::move(r));
        location = std::string(*answer.fields.find("location"));
    }());
    return location;
}

// The redirect's callback sent to an instance's port instead of the registered one.
int deliver(const std::string& callback, std::uint16_t port)
{
    asio::io_context io;
    http::client browser(io.get_executor());
    int status = 0;
    auto path = callback.substr(callback.find("/callback"));
    test::run(io, [&]() -> asio::awaitable<void> {
        http::request r;
        r.url = "http://127.0.0.1:" + std::to_string(port) + path;
        auto answer = co_await browser.send(std::move(r));
        status = answer.status;
    }());
    return status;
}

std::string token_hash_in_store(const std::string& db_url, const oauth2::store_key& key, std::uint64_t user)
{
    asio::io_context io;
    std::string out;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto store = co_await oauth2::postgres_token_store::open(io.get_executor(), db_url, key);
        auto g = co_await store->load(snowflake(user));
        if (g)
            out = std::to_string(std::hash<std::string>{}(g->token.token.reveal()));
    }());
    return out;
}

// The accounts the tests' flows authorize as (a link made for a user is refused to any other).
std::vector<std::uint64_t> flow_users()
{
    std::vector<std::uint64_t> ids{42};
    for (std::uint64_t i = 0; i < 10; ++i)
        ids.push_back(100 + i);
    for (std::uint64_t i = 0; i < 30; ++i)
        ids.push_back(1000 + i);
    for (std::uint64_t i = 0; i < 6; ++i)
        ids.push_back(2000 + i);
    return ids;
}

struct world {
    test::postgres_cluster db;
    test::emulator_thread discord{std::chrono::seconds(604800), flow_users()};
    oauth2::store_key store_key = oauth2::store_key::generate();
    std::string state_key = oauth2::state_key::generate().bytes().reveal();

    std::unique_ptr<instance> start_instance()
    {
        return std::make_unique<instance>(db.url(), store_key, state_key, discord.discord.url());
    }
};

} // namespace

TEST_CASE("a URL made on A whose callback lands on B: A's waiter gets the token, both event streams see it")
{
    world w;
    auto a = w.start_instance();
    auto b = w.start_instance();
    a->send("events");
    b->send("events");
    a->expect_line("events on", 5s);
    b->expect_line("events on", 5s);

    auto url = a->url_for(42);
    a->send("wait w1 42 20000 " + url);
    auto callback = consent(url, 42);
    CHECK(deliver(callback, b->port) == 200);
    auto result = a->expect_result("w1", 10s);
    CHECK(result.outcome == "authorized");
    CHECK(result.token_hash == token_hash_in_store(w.db.url(), w.store_key, 42));

    // A state made on A and consumed on B is used up everywhere: a replay on A gets B's answer.
    CHECK(deliver(callback, a->port) == 200);
    CHECK(w.discord.token_calls() == 1);

    for (auto* i : {a.get(), b.get()}) {
        i->expect_line("event authorization_code_received 42", 10s);
        i->expect_line("event authorization_code_exchanged 42", 10s);
    }
    // A waiter that starts after the callback, on an instance that never saw the URL, learns it too.
    b->send("wait w2 42 20000 " + url);
    CHECK(b->expect_result("w2", 10s).outcome == "authorized");
}

TEST_CASE("one state sent to A and B at the same moment is exchanged exactly once")
{
    world w;
    auto a = w.start_instance();
    auto b = w.start_instance();
    for (int round = 0; round < 10; ++round) {
        auto user = 100 + round;
        auto url = a->url_for(static_cast<std::uint64_t>(user));
        auto id = "r" + std::to_string(round);
        a->send("wait " + id + " " + std::to_string(user) + " 20000 " + url);
        auto callback = consent(url, static_cast<std::uint64_t>(user));
        auto before = w.discord.token_calls();
        int status_a = 0;
        int status_b = 0;
        std::thread to_a([&] { status_a = deliver(callback, a->port); });
        std::thread to_b([&] { status_b = deliver(callback, b->port); });
        to_a.join();
        to_b.join();
        CHECK(w.discord.token_calls() - before == 1);
        // The second to arrive gets the first's page: a double click never shows an error.
        CHECK(status_a == 200);
        CHECK(status_b == 200);
        CHECK(a->expect_result(id, 10s).outcome == "authorized");
    }
}

TEST_CASE("two processes x 500 concurrent fresh_access_token calls for 10 users: exactly 10 refreshes")
{
    world w;
    {
        asio::io_context io;
        std::shared_ptr<oauth2::postgres_token_store> store;
        test::run(io, [&]() -> asio::awaitable<void> {
            store = co_await oauth2::postgres_token_store::open(io.get_executor(), w.db.url(), w.store_key);
        }());
        // Due within the refresh margin (1 hour); a refreshed token lives 7 days.
        for (std::uint64_t u = 1; u <= 10; ++u)
            test::authorize(io, w.discord.discord.url(), *store, snowflake(u),
                            std::chrono::system_clock::now() + 10min);
    }
    auto a = w.start_instance();
    auto b = w.start_instance();
    auto before = w.discord.token_calls();
    a->send("fresh 500 1 2 3 4 5 6 7 8 9 10");
    b->send("fresh 500 1 2 3 4 5 6 7 8 9 10");
    CHECK(a->expect([](const std::string& l) { return l.starts_with("fresh "); }, 60s) == "fresh 500 0");
    CHECK(b->expect([](const std::string& l) { return l.starts_with("fresh "); }, 60s) == "fresh 500 0");
    CHECK(w.discord.token_calls() - before == 10);
}

TEST_CASE("PostgreSQL restarted in the middle of a run of flows: every flow ends, none hangs, nothing is lost")
{
    world w;
    auto a = w.start_instance();
    auto b = w.start_instance();
    constexpr int flows = 30;
    std::vector<std::string> urls;
    for (int i = 0; i < flows; ++i) {
        urls.push_back(a->url_for(static_cast<std::uint64_t>(1000 + i)));
        a->send("wait f" + std::to_string(i) + " " + std::to_string(1000 + i) + " 60000 " + urls.back());
    }
    int retried = 0;
    std::thread outage;
    for (int i = 0; i < flows; ++i) {
        if (i == flows / 3) // the server goes away for a second while callbacks keep coming
            outage = std::thread([&] {
                w.db.stop();
                std::this_thread::sleep_for(1s);
                w.db.start();
            });
        auto callback = consent(urls[static_cast<std::size_t>(i)], static_cast<std::uint64_t>(1000 + i));
        auto status = deliver(callback, b->port);
        // A callback waits for the database to come back (the pool reconnects); had it stayed
        // away too long, the page asks the person to reload, which is what a person does.
        while (status == 503 && retried < 100) {
            ++retried;
            std::this_thread::sleep_for(200ms);
            status = deliver(callback, b->port);
        }
        CHECK(status == 200);
    }
    outage.join();
    // Both instances felt the restart (their connections broke and were made again).
    for (auto* i : {a.get(), b.get()}) {
        i->send("stats");
        auto stats = i->expect([](const std::string& l) { return l.starts_with("stats "); }, 10s);
        CHECK(std::stoi(stats.substr(6)) > 0);
    }
    int authorized = 0;
    for (int i = 0; i < flows; ++i) {
        auto id = "f" + std::to_string(i);
        auto r = a->expect_result(id, 30s);
        if (r.outcome == "authorized") {
            ++authorized;
            CHECK(r.token_hash == token_hash_in_store(w.db.url(), w.store_key, static_cast<std::uint64_t>(1000 + i)));
        } else {
            CHECK(r.code != "0"); // an ending with a reason, never a silent one
        }
    }
    MESSAGE(authorized << " of " << flows << " flows authorized across the restart; " << retried
                       << " callbacks reloaded");
    CHECK(authorized == flows);
}

TEST_CASE("an instance killed with SIGKILL mid-flow: the other completes the flows whose callbacks it receives")
{
    world w;
    auto a = w.start_instance();
    auto b = w.start_instance();
    constexpr int flows = 6;
    std::vector<std::string> urls;
    for (int i = 0; i < flows; ++i) {
        auto user = std::to_string(2000 + i);
        urls.push_back(a->url_for(static_cast<std::uint64_t>(2000 + i)));
        a->send("wait a" + std::to_string(i) + " " + user + " 60000 " + urls.back());
        b->send("wait b" + std::to_string(i) + " " + user + " 60000 " + urls.back());
    }
    // The first half completes on A; then A dies with its waiters.
    for (int i = 0; i < flows / 2; ++i)
        CHECK(deliver(consent(urls[static_cast<std::size_t>(i)], static_cast<std::uint64_t>(2000 + i)), a->port) == 200);
    a->kill_now();
    for (int i = flows / 2; i < flows; ++i)
        CHECK(deliver(consent(urls[static_cast<std::size_t>(i)], static_cast<std::uint64_t>(2000 + i)), b->port) == 200);
    for (int i = 0; i < flows; ++i) {
        auto id = "b" + std::to_string(i);
        auto r = b->expect_result(id, 20s);
        CHECK(r.outcome == "authorized");
        CHECK(r.token_hash == token_hash_in_store(w.db.url(), w.store_key, static_cast<std::uint64_t>(2000 + i)));
    }
}
