// Several instances over one PostgreSQL database (a throwaway cluster started here), the emulator
// in a child process. Each instance is a web server with its own postgres_token_store (its own
// connections, its own LISTEN) on a thread of its own, as two shard processes would be.
//
//   cluster_bench [--flows N] [--concurrency C] [--latency N] [--store N]
//
// - complete flows per second with one instance, and with two (URL and waiter on one instance,
//   the callback on the other, alternating);
// - wake-up latency from the callback on B to the waiter on A, one flow at a time (p50, p99):
//   from B's page reaching the browser to A's waiter resuming, and from the callback's request to
//   the waiter (the same with one instance, for comparison);
// - the store: saves and loads per second, 64 in flight, on a pool of 4 connections.
#include "support/postgres_cluster.hpp"

#include "child_process.hpp"
#include "emulator_child.hpp"
#include "measure.hpp"

#include "http/client.hpp"
#include "server/free_port.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

const std::string redirect_uri = "http://127.0.0.1:53134/callback";
const std::vector<std::string_view> scopes{oauth2::scope::guilds};

em::options bench_options()
{
    em::options o;
    o.auto_approve = true;
    o.rate_limits.enabled = false;
    o.limits.max_connections = 8192;
    return o;
}

// Runs `work` on `io` (another thread's) and waits for it.
template <class T>
T on(asio::io_context& io, std::function<asio::awaitable<T>()> work)
{
    std::promise<T> done;
    asio::co_spawn(io, work(), [&](std::exception_ptr e, T value) {
        if (e)
            done.set_exception(e);
        else
            done.set_value(std::move(value));
    });
    return done.get_future().get();
}

struct instance {
    asio::io_context io{1};
    std::optional<oauth2::client> discord;
    std::shared_ptr<oauth2::postgres_token_store> db;
    std::optional<oauth2::web_server> web;
    std::thread runner;

    instance(const std::string& api, const std::string& db_url, const oauth2::store_key& store_key,
             const oauth2::state_key& state_key)
    {
        oauth2::client_config c;
        c.client_id = oauth2::snowflake(159799960412356608ULL);
        c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
        c.redirect_uri = redirect_uri;
        c.endpoints = oauth2::endpoints::under(api);
        discord.emplace(io.get_executor(), c);
        runner = std::thread([this] {
            auto guard = asio::make_work_guard(io);
            io.run();
        });
        db = on<std::shared_ptr<oauth2::postgres_token_store>>(io, [&]() {
            return oauth2::postgres_token_store::open(io.get_executor(), db_url, store_key);
        });
        oauth2::web_server_config config;
        config.key = state_key;
        config.port = discord::oauth2::server::free_port();
        config.store = db;
        config.cluster = db;
        config.event_queue_capacity = 16;
        config.limits.max_connections_per_peer = 0; // every simulated browser shares 127.0.0.1
        config.exchanges_per_minute_per_client = 0; // and the flows run as fast as the instances take them
        config.exchanges_per_second = 0;
        std::promise<void> started;
        asio::post(io, [&] {
            web.emplace(io.get_executor(), *discord, std::move(config));
            web->start();
            started.set_value();
        });
        started.get_future().get();
    }
    ~instance()
    {
        on<bool>(io, [this]() -> asio::awaitable<bool> {
            co_await web->stop(1s);
            co_return true;
        });
        asio::post(io, [this] {
            web.reset();
            db.reset();
            io.stop();
        });
        runner.join();
    }

    // Waits on this instance's thread; the result comes back on `back`, with the moment the
    // waiter resumed here. Not a coroutine: g++ 12 destroys twice a closure with captures that
    // is handed to async_initiate inside a co_await (docs/compilers.md).
    asio::awaitable<std::pair<oauth2::authorization_result, clock_type::time_point>> wait(
        asio::any_io_executor back, oauth2::snowflake user, std::string url)
    {
        using outcome = std::pair<oauth2::authorization_result, clock_type::time_point>;
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(outcome)>(
            [this, user, back, url = std::move(url)](auto handler) mutable {
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                asio::post(io, [this, user, back, shared, url = std::move(url)]() mutable {
                    web->async_wait_for_access_token(user, std::move(url), 30s,
                                                     [back, shared](std::error_code, oauth2::authorization_result r) {
                                                         auto woken = clock_type::now();
                                                         asio::post(back, [shared, r = std::move(r), woken]() mutable {
                                                             std::move(*shared)(outcome{std::move(r), woken});
                                                         });
                                                     });
                });
            },
            asio::use_awaitable);
    }
};

// The browser: Discord's consent (auto-approved), then the callback sent to `port`.
struct browser {
    http::client client;
    explicit browser(asio::any_io_executor ex) : client(std::move(ex)) {}

    asio::awaitable<std::string> consent(const std::string& url)
    {
        http::request r;
        r.url = url;
        auto answer = co_await client.send(std::move(r));
        co_return std::string(answer.fields.find("location").value_or(""));
    }
    asio::awaitable<int> callback(const std::string& location, std::uint16_t port)
    {
        http::request r;
        r.url = "http://127.0.0.1:" + std::to_string(port) + location.substr(location.find("/callback"));
        co_return (co_await client.send(std::move(r))).status;
    }
};

// The user the emulator approves as: a link made for anyone else is refused as the wrong account.
// Each flow's link is its own, so many flows of one user may be pending at once.
const oauth2::snowflake nelly(80351110224678912ULL);

// `total` complete flows, `concurrency` at once; flow i's URL and waiter are on makers[i % n],
// its callback on takers[i % n].
double run_flows(std::vector<instance*> makers, std::vector<instance*> takers, int total, int concurrency, int& authorized)
{
    asio::io_context io(1);
    asio::any_io_executor here = io.get_executor();
    browser b(io.get_executor());
    int started = 0;
    int done = 0;
    authorized = 0;
    auto start = clock_type::now();
    for (int w = 0; w < concurrency; ++w)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (started < total) {
                auto i = static_cast<std::size_t>(started++);
                auto* maker = makers[i % makers.size()];
                auto* taker = takers[i % takers.size()];
                const auto& user = nelly;
                auto url = maker->web->authorization_url(user, scopes);
                auto location = co_await b.consent(url);
                auto status = co_await b.callback(location, taker->web->port());
                auto [result, woken] = co_await maker->wait(here, user, url);
                authorized += status == 200 && result.outcome == oauth2::authorization_outcome::authorized;
                ++done;
            }
        }, asio::detached);
    io.run();
    return total / std::chrono::duration<double>(clock_type::now() - start).count();
}

// One flow at a time: the waiter starts first, then the callback goes to `taker`.
void wake_latency(instance& maker, instance& taker, int total, const char* label)
{
    asio::io_context io(1);
    asio::any_io_executor here = io.get_executor();
    browser b(io.get_executor());
    std::vector<double> from_page;
    std::vector<double> from_request;
    int authorized = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < total; ++i) {
            const auto& user = nelly;
            auto url = maker.web->authorization_url(user, scopes);
            auto location = co_await b.consent(url);
            std::optional<std::pair<oauth2::authorization_result, clock_type::time_point>> got;
            asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await maker.wait(here, user, url); }, asio::detached);
            asio::steady_timer settle(io, 2ms); // the wait registered on the maker's thread
            co_await settle.async_wait(asio::use_awaitable);
            auto sent = clock_type::now();
            auto status = co_await b.callback(location, taker.web->port());
            auto page = clock_type::now();
            asio::steady_timer poll(io);
            while (!got) {
                poll.expires_after(100us);
                co_await poll.async_wait(asio::use_awaitable);
            }
            authorized += status == 200 && got->first.outcome == oauth2::authorization_outcome::authorized;
            from_page.push_back(std::chrono::duration<double, std::milli>(got->second - page).count());
            from_request.push_back(std::chrono::duration<double, std::milli>(got->second - sent).count());
        }
    }, asio::detached);
    io.run();
    fmt::print("wake-up, {}: {} flows one at a time ({} authorized): waiter resumed {:.2f} ms (p50) / {:.2f} ms (p99) "
               "after the callback's page reached the browser; {:.2f} / {:.2f} ms after the callback was sent\n",
               label, total, authorized, percentile(from_page, 0.5), percentile(from_page, 0.99),
               percentile(from_request, 0.5), percentile(from_request, 0.99));
}

void store_rates(const std::string& db_url, const oauth2::store_key& key, int total, std::string_view label,
                 bool group_commit)
{
    asio::io_context io(1);
    std::shared_ptr<oauth2::postgres_token_store> store;
    double saves = 0;
    double loads = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        oauth2::postgres_options options;
        options.group_commit = group_commit;
        // Rows of their own per setting: both rounds insert new grants rather than one updating.
        const std::uint64_t first_user = group_commit ? 6'000'000 : 5'000'000;
        store = co_await oauth2::postgres_token_store::open(io.get_executor(), db_url, key, options);
        oauth2::stored_grant g;
        g.token.token = oauth2::secret(std::string(30, 'a'));
        g.token.refresh_token = oauth2::secret(std::string(30, 'r'));
        g.token.scopes = {"identify", "guilds"};
        g.token.expires_at = std::chrono::system_clock::now() + 7 * 24h;
        for (int phase = 0; phase < 2; ++phase) {
            int next = 0;
            int active = 0;
            auto start = clock_type::now();
            for (int w = 0; w < 64; ++w) {
                ++active;
                asio::co_spawn(io, [&, phase]() -> asio::awaitable<void> {
                    while (next < total) {
                        oauth2::snowflake user(static_cast<std::uint64_t>(first_user + next++));
                        if (phase == 0) {
                            auto copy = g;
                            copy.user_id = user;
                            (void)co_await store->save(std::move(copy));
                        } else {
                            (void)co_await store->load(user);
                        }
                    }
                    --active;
                }, asio::detached);
            }
            asio::steady_timer t(io);
            while (active > 0) {
                t.expires_after(1ms);
                co_await t.async_wait(asio::use_awaitable);
            }
            (phase == 0 ? saves : loads) = total / std::chrono::duration<double>(clock_type::now() - start).count();
        }
    }, [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e); // a store that did not open is not 0 saves/s
    });
    io.run();
    fmt::print("store ({}, group commit {}): {} grants, 64 in flight, pool of 4: {:.0f} saves/s, {:.0f} loads/s\n",
               label, group_commit ? "on" : "off", total, saves, loads);
}

} // namespace

int main(int argc, char** argv)
{
    int flows = 2000;
    int concurrency = 32;
    int latency = 300;
    int stores = 5000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view a = argv[i];
        int v = std::atoi(argv[i + 1]);
        if (a == "--flows")
            flows = v;
        else if (a == "--concurrency")
            concurrency = v;
        else if (a == "--latency")
            latency = v;
        else if (a == "--store")
            stores = v;
    }
    auto child = start_child([](int fd) { return serve_emulator(fd, bench_options()); });
    if (child.pid < 0)
        return 1;
    int status = 0;
    {
        // PostgreSQL's defaults: each save's commit waits for its WAL to reach the disk.
        test::postgres_cluster durable(true);
        auto key = oauth2::store_key::generate(); // a database's grants are sealed with one key
        store_rates(durable.url(), key, stores, "fsync and synchronous_commit on", false);
        store_rates(durable.url(), key, stores, "fsync and synchronous_commit on", true);
    }
    {
        test::postgres_cluster db;
        auto store_key = oauth2::store_key::generate();
        auto state_key = oauth2::state_key::generate();
        store_rates(db.url(), store_key, stores, "fsync off", false);
        store_rates(db.url(), store_key, stores, "fsync off", true);
        instance a(child.ready_line, db.url(), store_key, state_key);
        instance b(child.ready_line, db.url(), store_key, state_key);
        int ok1 = 0;
        int ok2 = 0;
        auto one = run_flows({&a}, {&a}, flows, concurrency, ok1);
        auto two = run_flows({&a, &b}, {&b, &a}, flows, concurrency, ok2);
        fmt::print("complete flows, {} at {} concurrent: one instance {:.0f} flows/s ({} authorized); two instances "
                   "(every callback on the other one) {:.0f} flows/s ({} authorized): {:.2f}x\n",
                   flows, concurrency, one, ok1, two, ok2, two / one);
        wake_latency(a, b, latency, "callback on B, waiter on A");
        wake_latency(a, a, latency, "callback and waiter on A");
        status = ok1 == flows && ok2 == flows ? 0 : 1;
        if (status)
            fmt::print(stderr, "some flows were not authorized\n");
    }
    stop_child(child);
    return status;
}
