// Grants at scale: refreshes per second against the emulator, the SQLite store's saves and
// loads per second, a key rotation's rekey per second, and the memory a grant costs in the
// memory store.
//
//   grants_bench --refresh N [--sqlite]   N grants made through the emulator, then all refreshed
//   grants_bench --store N                SQLite saves, loads and rekeys per second
//   grants_bench --memory N               bytes per grant in memory_token_store
#include "child_process.hpp"
#include "emulator_child.hpp"
#include "emulator.hpp"
#include "measure.hpp"

#include "http/client.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

em::options bench_options()
{
    em::options o;
    o.auto_approve = true;
    o.rate_limits.enabled = false;
    o.code_ttl = std::chrono::seconds(3600);
    o.limits.max_connections = 8192;
    return o;
}

oauth2::access_token sample_token(std::uint64_t i)
{
    oauth2::access_token t;
    t.token = oauth2::secret(fmt::format("{:030}", i));
    t.refresh_token = oauth2::secret(fmt::format("r{:029}", i));
    t.scopes = {"identify", "connections"};
    t.expires_in = 604800s;
    t.expires_at = std::chrono::system_clock::now() + t.expires_in;
    return t;
}

int memory(int n)
{
    asio::io_context io;
    oauth2::memory_token_store store;
    double before = rss_mib();
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
            oauth2::stored_grant g;
            g.user_id = oauth2::snowflake(static_cast<std::uint64_t>(i) + 1);
            g.token = sample_token(static_cast<std::uint64_t>(i));
            co_await store.save(std::move(g));
        }
    }, asio::detached);
    io.run();
    double after = rss_mib();
    fmt::print("memory store: {} grants (30-character tokens, a refresh token, 2 scopes): {:.1f} MiB, {:.0f} bytes "
               "per grant\n", n, after - before, (after - before) * 1024 * 1024 / n);
    return 0;
}

int sqlite_rates(int n)
{
    auto dir = std::filesystem::temp_directory_path() / ("grants-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    asio::io_context io;
    auto old_key = oauth2::store_key::generate();
    auto store = oauth2::sqlite_token_store::open((dir / "grants.db").string(), old_key);
    oauth2::store_key_ring rotated({oauth2::store_key::generate(), old_key});
    double save_s = 0, load_s = 0, concurrent_s = 0, rekey_s = 0, current_s = 0;
    std::size_t resealed = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto start = clock_type::now();
        for (int i = 0; i < n; ++i) {
            oauth2::stored_grant g;
            g.user_id = oauth2::snowflake(static_cast<std::uint64_t>(i) + 1);
            g.token = sample_token(static_cast<std::uint64_t>(i));
            co_await store->save(std::move(g));
        }
        save_s = std::chrono::duration<double>(clock_type::now() - start).count();
        // The same number of saves again with 64 in flight: the store's group commit puts the
        // writes waiting together into one transaction and one synchronous commit.
        start = clock_type::now();
        auto ex = co_await asio::this_coro::executor;
        int done = 0;
        for (int w = 0; w < 64; ++w)
            asio::co_spawn(ex, [&, w]() -> asio::awaitable<void> {
                for (int i = w; i < n; i += 64) {
                    oauth2::stored_grant g;
                    g.user_id = oauth2::snowflake(static_cast<std::uint64_t>(i) + 1);
                    g.token = sample_token(static_cast<std::uint64_t>(i) + 7);
                    co_await store->save(std::move(g));
                }
                ++done;
            }, asio::detached);
        asio::steady_timer poll(ex);
        while (done < 64) {
            poll.expires_after(std::chrono::milliseconds(1));
            co_await poll.async_wait(asio::use_awaitable);
        }
        concurrent_s = std::chrono::duration<double>(clock_type::now() - start).count();
        start = clock_type::now();
        for (int i = 0; i < n; ++i)
            (void)co_await store->load(oauth2::snowflake(static_cast<std::uint64_t>(i) + 1));
        load_s = std::chrono::duration<double>(clock_type::now() - start).count();
        // A rotation: the new key first, then every grant re-sealed under it (256 a transaction),
        // then a second rekey that finds nothing to do.
        co_await store->set_keys(rotated);
        start = clock_type::now();
        auto report = co_await store->rekey();
        rekey_s = std::chrono::duration<double>(clock_type::now() - start).count();
        resealed = report.resealed;
        start = clock_type::now();
        (void)co_await store->rekey();
        current_s = std::chrono::duration<double>(clock_type::now() - start).count();
    }, asio::detached);
    io.run();
    store.reset();
    std::filesystem::remove_all(dir);
    fmt::print("SQLite store ({}): {:.0f} saves/s one at a time (a synchronous commit each), {:.0f} saves/s with 64 in "
               "flight (group commit: {:.1f}x), {:.0f} loads/s (each decrypted)\n",
               std::filesystem::temp_directory_path().string(), n / save_s, n / concurrent_s, save_s / concurrent_s,
               n / load_s);
    fmt::print("  rotation: rekey re-sealed {} grants at {:.0f}/s ({:.2f}x a load's time per grant), a second rekey "
               "checked them at {:.0f}/s\n",
               resealed, static_cast<double>(resealed) / rekey_s, (rekey_s / static_cast<double>(resealed)) / (load_s / n),
               n / current_s);
    return 0;
}

int refresh_all(int n, bool sqlite)
{
    auto child = start_child([](int fd) { return serve_emulator(fd, bench_options()); });
    if (child.pid < 0)
        return 1;
    auto dir = std::filesystem::temp_directory_path() / ("grants-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::shared_ptr<oauth2::token_store> store;
    if (sqlite)
        store = oauth2::sqlite_token_store::open((dir / "grants.db").string(), oauth2::store_key::generate());
    else
        store = std::make_shared<oauth2::memory_token_store>();

    asio::io_context io(1);
    oauth2::client_config c;
    c.client_id = oauth2::snowflake(159799960412356608ULL);
    c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
    c.redirect_uri = "http://127.0.0.1:53134/callback";
    c.endpoints = oauth2::endpoints::under(child.ready_line);
    c.retries.max_rate_limit_wait = std::chrono::seconds(0);
    oauth2::client discord(io.get_executor(), c);
    http::client browser(io.get_executor());
    oauth2::refresher_config rc;
    rc.margin = std::chrono::hours(24 * 365);
    oauth2::refresher keeper(io.get_executor(), discord, store, rc);

    int made = 0, refreshed = 0, failed = 0;
    const int workers = 64;
    double seconds = 0, cpu = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        // N grants through the consent page and the code exchange, 64 at a time.
        int next = 0, active = workers;
        for (int w = 0; w < workers; ++w)
            asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                while (next < n) {
                    auto user = oauth2::snowflake(static_cast<std::uint64_t>(++next));
                    oauth2::authorization_request request;
                    request.scopes = {"identify"};
                    auto link = discord.authorization_url(request);
                    http::request r;
                    r.url = link.url;
                    auto answer = co_await browser.send(std::move(r));
                    auto location = std::string(answer.fields.find("location").value_or(""));
                    auto at = location.find("code=") + 5;
                    auto code = location.substr(at, location.find('&', at) - at);
                    oauth2::stored_grant g;
                    g.user_id = user;
                    g.token = co_await discord.exchange_code(code, link.code_verifier);
                    co_await store->save(std::move(g));
                    ++made;
                }
                --active;
            }, asio::detached);
        while (active > 0) {
            asio::steady_timer t(io, 5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        // Then every grant refreshed through the refresher, 64 at a time.
        auto start = clock_type::now();
        double cpu_start = cpu_seconds();
        next = 0;
        active = workers;
        for (int w = 0; w < workers; ++w)
            asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                while (next < n) {
                    auto user = oauth2::snowflake(static_cast<std::uint64_t>(++next));
                    std::optional<oauth2::error> e;
                    try {
                        (void)co_await keeper.refresh(user);
                    } catch (const oauth2::error& x) {
                        e = x;
                    }
                    (e ? failed : refreshed)++;
                }
                --active;
            }, asio::detached);
        while (active > 0) {
            asio::steady_timer t(io, 5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
        seconds = std::chrono::duration<double>(clock_type::now() - start).count();
        cpu = cpu_seconds() - cpu_start;
    }, asio::detached);
    io.run();
    stop_child(child);
    store.reset();
    std::filesystem::remove_all(dir);
    fmt::print("refresh of {} grants ({} store, 64 at a time): {:.0f} grants/s, {:.1f} us CPU per refresh in this "
               "process; {} refreshed, {} failed\n",
               made, sqlite ? "SQLite" : "memory", refreshed / seconds, cpu * 1e6 / n, refreshed, failed);
    return failed == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    std::string mode;
    int n = 100000;
    bool sqlite = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "--refresh" || arg == "--store" || arg == "--memory") && i + 1 < argc) {
            mode = arg;
            n = std::stoi(argv[++i]);
        } else if (arg == "--sqlite") {
            sqlite = true;
        } else {
            fmt::print(stderr, "usage: {} --refresh N [--sqlite] | --store N | --memory N\n", argv[0]);
            return 2;
        }
    }
    if (mode == "--memory")
        return memory(n);
    if (mode == "--store")
        return sqlite_rates(n);
    if (mode == "--refresh")
        return refresh_all(n, sqlite);
    fmt::print(stderr, "usage: {} --refresh N [--sqlite] | --store N | --memory N\n", argv[0]);
    return 2;
}
