// The callback web server under load. The emulator runs in a child process (auto-approving,
// rate limits off); the web server, its client and the driver that plays the browsers run here.
//
//   web_server_bench [--flows N] [--concurrency C]   complete callback flows per second, and the
//                                                    callback's p50/p99 latency, C at once
//   web_server_bench --metrics-cost N [--rounds R]   the same flows with the library's metrics off
//                                                    and counted into a Prometheus registry (the
//                                                    way serve --metrics counts), alternating; the
//                                                    CPU per flow of each and their ratio
//   web_server_bench --parts N [--rounds R]         the CPU of a complete callback flow beside its
//                                                    parts measured alone at the same concurrency:
//                                                    the client's exchange + /oauth2/@me, the
//                                                    store's save, the browser driver's two
//                                                    requests; the rest is the web server's own
//   web_server_bench --serve                         a web server for wrk's invalid-state run
//   web_server_bench --memory N                      RSS for N pending authorizations, a coroutine
//                                                    waiting for each (--memory-handlers: a handler)
//   web_server_bench --baseline N                    RSS for N bare Asio coroutines, each waiting
//   web_server_bench --records N                     heap bytes per pending link and per settled
//                                                    link (its replay-guard entry included), and
//                                                    what is left once every link has expired
#include "server/free_port.hpp"
#include "child_process.hpp"
#include "emulator_child.hpp"
#include "emulator.hpp"
#include "counting_observer.hpp"
#include "flow_setup.hpp"
#include "measure.hpp"

#include "http/client.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include <malloc.h>
#include <string>
#include <vector>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

const oauth2::snowflake nelly(80351110224678912ULL);
const std::vector<std::string_view> identify{oauth2::scope::identify};

using discord::oauth2::server::free_port;

std::string redirect_uri;

em::options bench_options()
{
    em::options o;
    o.auto_approve = true;
    o.rate_limits.enabled = false;
    o.limits.max_connections = 8192;
    for (auto& app : o.world.applications)
        app.redirect_uris.push_back(redirect_uri);
    return o;
}

oauth2::client_config config_for(const std::string& base)
{
    oauth2::client_config c;
    c.client_id = oauth2::snowflake(159799960412356608ULL);
    c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
    c.redirect_uri = redirect_uri;
    c.endpoints = oauth2::endpoints::under(base);
    return c;
}

// A client for a web server that never reaches Discord (rejections, memory): the callbacks it
// gets are refused or denied before any exchange.
oauth2::client_config offline_client()
{
    oauth2::client_config c;
    c.client_id = oauth2::snowflake(159799960412356608ULL);
    c.client_secret = oauth2::secret("unused-offline");
    c.redirect_uri = redirect_uri;
    return c;
}

struct flow_figures {
    int total = 0;
    int authorized = 0;
    double seconds = 0;
    double cpu = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    [[nodiscard]] double cpu_us_per_flow() const { return cpu * 1e6 / total; }
};

// Complete flows: URL, Discord's redirect (auto-approved), the callback (exchange, /oauth2/@me,
// store, page), and the waiter woken; counted by `metrics` when there is one.
flow_figures run_flows(int total, int concurrency, std::shared_ptr<oauth2::metrics_observer> metrics)
{
    flow_figures f;
    f.total = total;
    auto child = start_child([](int fd) { return serve_emulator(fd, bench_options()); });
    if (child.pid < 0)
        return f;
    asio::io_context io(1);
    auto config = config_for(child.ready_line);
    config.metrics = std::move(metrics);
    oauth2::client discord(io.get_executor(), config);
    oauth2::web_server_config wc;
    wc.event_queue_capacity = 16;
    wc.limits.max_connections_per_peer = 0; // every simulated browser shares 127.0.0.1
    wc.exchanges_per_minute_per_client = 0; // and the flows run as fast as the server takes them
    wc.exchanges_per_second = 0;
    oauth2::web_server web(io.get_executor(), discord, wc);
    web.start();
    http::client browser(io.get_executor());

    std::vector<double> callback_ms;
    callback_ms.reserve(static_cast<std::size_t>(total));
    int started = 0, done = 0, authorized = 0;
    auto start = clock_type::now();
    double cpu_start = cpu_seconds();
    for (int i = 0; i < concurrency; ++i)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (started < total) {
                ++started;
                auto link = web.authorization_url(nelly, identify);
                http::request authorize;
                authorize.url = link;
                auto redirect = co_await browser.send(std::move(authorize));
                http::request callback;
                callback.url = std::string(redirect.fields.find("location").value_or(""));
                auto sent = clock_type::now();
                auto page = co_await browser.send(std::move(callback));
                callback_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - sent).count());
                auto result = co_await web.wait_for_access_token(nelly, link, 10s);
                authorized += page.status == 200 && result;
                ++done;
            }
        }, asio::detached);
    while (done < total)
        io.run_one();
    f.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    f.cpu = cpu_seconds() - cpu_start;
    f.authorized = authorized;
    f.p50_ms = percentile(callback_ms, 0.50);
    f.p99_ms = percentile(callback_ms, 0.99);
    stop_child(child);
    return f;
}

int flows(int total, int concurrency)
{
    auto f = run_flows(total, concurrency, nullptr);
    fmt::print("complete callback flows: {} at {} concurrent: {:.0f} flows/s, callback p50 {:.2f} ms, p99 {:.2f} ms, "
               "{:.0f} us CPU per flow in this process (web server + client + browser driver); {} authorized\n",
               total, concurrency, total / f.seconds, f.p50_ms, f.p99_ms, f.cpu_us_per_flow(), f.authorized);
    return f.authorized == total ? 0 : 1;
}

// What counting costs a flow: the same flows with no observer, and with the one serve --metrics
// uses (a Prometheus registry; the counting observer where this build lacks prometheus-cpp),
// alternating so that the machine's drift touches both alike; the best round of each.
int metrics_cost(int total, int concurrency, int rounds)
{
    bench::counting_observer observed;
    const auto& counted = observed.observer;
    const char* what = observed.what;
    (void)run_flows(std::max(1, total / 10), concurrency, nullptr); // warm-up: the allocator, the page cache
    flow_figures best_off, best_on;
    bool ok = true;
    for (int round = 0; round < rounds; ++round) {
        // Each goes first in every other round: neither always meets a fresh emulator child.
        flow_figures off, on;
        if (round % 2 == 0) {
            off = run_flows(total, concurrency, nullptr);
            on = run_flows(total, concurrency, counted);
        } else {
            on = run_flows(total, concurrency, counted);
            off = run_flows(total, concurrency, nullptr);
        }
        ok = ok && off.authorized == total && on.authorized == total;
        if (round == 0 || off.cpu < best_off.cpu)
            best_off = off;
        if (round == 0 || on.cpu < best_on.cpu)
            best_on = on;
    }
    fmt::print("metrics' cost, {} complete callback flows at {} concurrent, best of {} rounds, alternating:\n"
               "  metrics off: {:.0f} flows/s, {:.1f} us CPU per flow\n"
               "  counted into {}: {:.0f} flows/s, {:.1f} us CPU per flow\n"
               "  CPU per flow on / off: {:.3f}x; flows/s on / off: {:.3f}x\n",
               total, concurrency, rounds, total / best_off.seconds, best_off.cpu_us_per_flow(), what,
               total / best_on.seconds, best_on.cpu_us_per_flow(), best_on.cpu_us_per_flow() / best_off.cpu_us_per_flow(),
               (total / best_on.seconds) / (total / best_off.seconds));
    return ok ? 0 : 1;
}

// The parts of a callback flow, each alone at the same concurrency, in CPU per flow of this
// process: `step` runs one flow's part and is spawned `concurrency` times over `total` flows.
template <class Step>
double part_cpu_us(asio::io_context& io, int total, int concurrency, bool& failed, Step step)
{
    int started = 0, done = 0;
    io.restart(); // a loop that ran out of work after an earlier part stays stopped until then
    double cpu_start = cpu_seconds();
    for (int i = 0; i < concurrency; ++i)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (started < total) {
                int n = started++;
                try {
                    co_await step(n);
                } catch (const std::exception& e) {
                    fmt::print(stderr, "a part failed: {}\n", e.what());
                    failed = true;
                }
                ++done;
            }
        }, asio::detached);
    while (done < total)
        if (io.run_one() == 0) {
            fmt::print(stderr, "the event loop ran out of work with {} of {} flows done\n", done, total);
            failed = true;
            break;
        }
    return (cpu_seconds() - cpu_start) * 1e6 / total;
}

// Each part measured in a function of its own, kept out of line and apart (g++'s noipa: the three
// alike are not folded into one), so that callgrind can count each part's instructions alone
// (CPU time on a shared machine moves more between runs than the web server's share does), one
// run a part, e.g. the driver's:
//   valgrind --tool=callgrind --toggle-collect='*measure_part_driver*'
//            web_server_bench --parts 2000 --rounds 1
// (the process that prints the figures is the one whose count matters: the emulator children
// forked while it counted report their own).
using part_step = std::function<asio::awaitable<void>(int)>;

#if defined(__clang__)
#define MEASURED_APART [[gnu::noinline]]
#else
#define MEASURED_APART [[gnu::noipa]]
#endif

MEASURED_APART flow_figures measure_part_flow(int total, int concurrency)
{
    return run_flows(total, concurrency, nullptr);
}

MEASURED_APART double measure_part_client(asio::io_context& io, int total, int concurrency, bool& failed,
                                             const part_step& step)
{
    return part_cpu_us(io, total, concurrency, failed, step);
}

MEASURED_APART double measure_part_driver(asio::io_context& io, int total, int concurrency, bool& failed,
                                             const part_step& step)
{
    return part_cpu_us(io, total, concurrency, failed, step);
}

MEASURED_APART double measure_part_store(asio::io_context& io, int total, int concurrency, bool& failed,
                                            const part_step& step)
{
    return part_cpu_us(io, total, concurrency, failed, step);
}

// The complete flow's CPU beside the sum of its parts: the client's two requests (the code
// exchange and /oauth2/@me, as the callback sends them), the store's save (the web server's
// default, a memory_token_store), and the browser driver's two requests (timed against the
// emulator: a request's client side costs the same whoever answers it). What is left of the
// flow's CPU is the web server's own: the callback's HTTP, the state, the links, the waiter, the
// page. Best of `rounds` for each, alternating.
int parts(int total, int concurrency, int rounds)
{
    double best_full = 0, best_client = 0, best_store = 0, best_browser = 0;
    bool ok = true;
    bool failed = false;
    (void)run_flows(std::max(1, total / 10), concurrency, nullptr); // warm-up
    for (int round = 0; round < rounds; ++round) {
        auto full = measure_part_flow(total, concurrency);
        ok = ok && full.authorized == total;

        auto emulator = flow_setup::start_emulator(false);
        auto codes = flow_setup::make_codes(emulator, total);
        asio::io_context io(1);
        oauth2::client_config config = config_for(emulator.base);
        config.redirect_uri = flow_setup::redirect;
        oauth2::client discord(io.get_executor(), config);
        int authorized = 0;
        auto client = measure_part_client(io, total, concurrency, failed, [&](int n) -> asio::awaitable<void> {
            auto token = co_await discord.exchange_code(codes[static_cast<std::size_t>(n)]);
            auto info = co_await discord.get_authorization_info(token);
            authorized += info.user.has_value();
        });
        ok = ok && authorized == total;

        // The browser's two requests as the flows send them: an authorization URL a web server
        // made (its sealed state, PKCE challenge and redirect URI: curl's cost for a URL grows
        // with its length), answered by the emulator's redirect; then a GET of the URL it
        // redirects to, sent to the emulator in place of the callback (the same path and query;
        // the emulator answers 404). The links are made before the measurement.
        oauth2::web_server link_maker(io.get_executor(), discord, oauth2::web_server_config{});
        std::vector<std::string> links;
        links.reserve(static_cast<std::size_t>(total));
        for (int i = 0; i < total; ++i)
            links.push_back(link_maker.authorization_url(nelly, identify));
        http::client browser(io.get_executor());
        auto driver = measure_part_driver(io, total, concurrency, failed, [&](int n) -> asio::awaitable<void> {
            http::request authorize;
            authorize.url = links[static_cast<std::size_t>(n)];
            auto redirect = co_await browser.send(std::move(authorize));
            auto location = redirect.fields.find("location").value_or("");
            auto path = location.find("/callback");
            http::request again;
            again.url = emulator.base + std::string(location.substr(path == std::string_view::npos ? 0 : path));
            auto second = co_await browser.send(std::move(again));
            ok = ok && redirect.status == 302 && path != std::string_view::npos && second.status == 404;
        });
        stop_child(emulator.child);

        // The grants the callback would store: one user's, as in the flows above.
        oauth2::memory_token_store store;
        oauth2::access_token token;
        token.token = oauth2::secret("access-token-for-the-store-part");
        token.refresh_token = oauth2::secret("refresh-token-for-the-store-part");
        token.scopes = {"identify"};
        auto saved = measure_part_store(io, total, concurrency, failed, [&](int) -> asio::awaitable<void> {
            oauth2::stored_grant grant{nelly, token};
            co_await store.save(std::move(grant));
        });

        auto keep = [round](double& best, double v) { best = round == 0 ? v : std::min(best, v); };
        keep(best_full, full.cpu_us_per_flow());
        keep(best_client, client);
        keep(best_store, saved);
        keep(best_browser, driver);
    }
    ok = ok && !failed;
    double own = best_full - best_client - best_store - best_browser;
    fmt::print("a callback flow's CPU beside its parts, {} flows at {} concurrent, best of {} rounds (us per flow):\n"
               "  the complete flow (URL, redirect, callback: exchange + /oauth2/@me + store + page, waiter): {:.1f}\n"
               "  the client's exchange + /oauth2/@me alone: {:.1f}\n"
               "  the store's save alone: {:.1f}\n"
               "  the browser driver's two requests alone (the same URLs, answered by the emulator): {:.1f}\n"
               "  the web server's own share: {:.1f} ({:.1f}% of the flow; {:.1f}% of the flow without the driver)\n",
               total, concurrency, rounds, best_full, best_client, best_store, best_browser, own,
               100.0 * own / best_full, 100.0 * own / (best_full - best_browser));
    return ok ? 0 : 1;
}

// A web server alone, for wrk against the callback with states that do not open.
int serve()
{
    asio::io_context io(1);
    oauth2::client discord(io.get_executor(), offline_client());
    oauth2::web_server_config wc;
    wc.limits.max_connections = 8192;
    wc.limits.max_connections_per_peer = 0; // wrk's connections share 127.0.0.1
    oauth2::web_server web(io.get_executor(), discord, wc);
    web.start();
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](std::error_code, int) { io.stop(); });
    fmt::print("{}\n", web.port());
    std::fflush(stdout);
    io.run();
    return 0;
}

// N pending authorizations, each with a waiter: a coroutine (what most bots write), or a plain
// completion handler (the asynchronous operation's own cost).
int memory(int n, bool coroutines)
{
    asio::io_context io(1);
    oauth2::client discord(io.get_executor(), offline_client());
    oauth2::web_server_config wc;
    wc.max_pending = static_cast<std::size_t>(n) + 10;
    oauth2::web_server web(io.get_executor(), discord, wc);
    web.start();
    io.poll();
    double before = rss_mib();
    int waiting = 0;
    for (int i = 0; i < n; ++i) {
        auto user = oauth2::snowflake(80351110224678912ULL + static_cast<std::uint64_t>(i));
        auto link = web.authorization_url(user, identify);
        ++waiting;
        if (coroutines)
            asio::co_spawn(io, [&web, &waiting, user, link = std::move(link)]() mutable -> asio::awaitable<void> {
                (void)co_await web.wait_for_access_token(user, std::move(link), 1h);
                --waiting;
            }, asio::detached);
        else
            web.async_wait_for_access_token(user, std::move(link), 1h,
                                            [&waiting](std::error_code, oauth2::authorization_result) { --waiting; });
    }
    io.poll();
    double after = rss_mib();
    fmt::print("{} pending authorizations with a {} waiting for each ({} waiting, {} pending): {:.1f} MiB RSS in all, "
               "{:.1f} MiB for them ({:.0f} bytes each)\n",
               n, coroutines ? "coroutine" : "completion handler", waiting, web.pending_count(), after, after - before,
               (after - before) * 1024 * 1024 / n);
    return 0;
}

// The heap in use now (malloc's count, not pages: precise to the byte).
std::size_t heap_bytes()
{
    return ::mallinfo2().uordblks;
}

// Link records alone (no waiter): N links made, then N more each settled at once by a denial
// callback handed to the server in-process, then every link left to expire.
int records(int n)
{
    asio::io_context io(1);
    oauth2::client discord(io.get_executor(), offline_client());
    oauth2::web_server_config wc;
    wc.listen = false;
    wc.max_pending = 2 * static_cast<std::size_t>(n) + 10;
    wc.state_lifetime = 5s; // longer than making them all takes, short enough to wait out
    oauth2::web_server web(io.get_executor(), discord, wc);
    web.start();
    io.poll();
    auto deny = [&](const std::string& link) {
        auto state = link.substr(link.find("state=") + 6);
        state = state.substr(0, state.find('&'));
        oauth2::incoming_request r;
        r.target = web.callback_path() + "?error=access_denied&state=" + state;
        asio::co_spawn(io, web.handle_request(std::move(r)), [](std::exception_ptr e, oauth2::outgoing_response a) {
            if (e || a.status != 403)
                fmt::print(stderr, "denial answered {}: {}\n", a.status, a.body);
        });
        io.restart(); // without a listener the io_context runs out of work between requests
        io.poll();
    };
    auto user = [](int i) { return oauth2::snowflake(80351110224678912ULL + static_cast<std::uint64_t>(i)); };

    auto start = heap_bytes();
    for (int i = 0; i < n; ++i)
        (void)web.authorization_url(user(i), identify);
    io.poll();
    auto pending = heap_bytes();
    for (int i = 0; i < n; ++i)
        deny(web.authorization_url(user(n + i), identify));
    auto settled = heap_bytes();
    fmt::print("{} pending links: {:.0f} bytes each; {} settled links (a denial each): {:.0f} bytes each, "
               "their replay-guard entry included; {} records\n",
               n, static_cast<double>(pending - start) / n, n, static_cast<double>(settled - pending) / n,
               web.remembered_count());
    // Past the lifetime the timer forgets every record; the replay guard forgets its entries at
    // the next callback.
    io.restart();
    io.run_for(5500ms);
    deny(web.authorization_url(user(0), identify));
    io.restart();
    io.run_for(5500ms);
    deny(web.authorization_url(user(0), identify));
    fmt::print("after every link expired: {} records, {} pending, heap {:+.1f} KiB against before the links\n",
               web.remembered_count(), web.pending_count(), (static_cast<double>(heap_bytes()) - static_cast<double>(start)) / 1024);
    return web.remembered_count() <= 1 ? 0 : 1;
}

// What Asio itself costs for N coroutines that each wait (on a channel that is never sent to):
// the floor under any awaitable waiter.
int baseline(int n)
{
    asio::io_context io(1);
    io.poll();
    double before = rss_mib();
    using bell = asio::experimental::channel<void(std::error_code, bool)>;
    std::vector<std::unique_ptr<bell>> bells;
    bells.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        bells.push_back(std::make_unique<bell>(io.get_executor(), 0));
        asio::co_spawn(io, [b = bells.back().get()]() -> asio::awaitable<void> {
            (void)co_await b->async_receive(asio::use_awaitable);
        }, asio::detached);
    }
    io.poll();
    double after = rss_mib();
    fmt::print("baseline: {} coroutines each awaiting a channel: {:.1f} MiB ({:.0f} bytes each)\n", n, after - before,
               (after - before) * 1024 * 1024 / n);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    int total = 20000;
    int concurrency = 256;
    int cost_flows = 0;
    int parts_flows = 0;
    int rounds = 5;
    redirect_uri = "http://127.0.0.1:" + std::to_string(free_port()) + "/callback";
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--serve")
            return serve();
        if (arg == "--baseline" && i + 1 < argc)
            return baseline(std::stoi(argv[++i]));
        if (arg == "--memory" && i + 1 < argc)
            return memory(std::stoi(argv[++i]), true);
        if (arg == "--records" && i + 1 < argc)
            return records(std::stoi(argv[++i]));
        if (arg == "--memory-handlers" && i + 1 < argc)
            return memory(std::stoi(argv[++i]), false);
        if (arg == "--metrics-cost" && i + 1 < argc)
            cost_flows = std::stoi(argv[++i]);
        else if (arg == "--parts" && i + 1 < argc)
            parts_flows = std::stoi(argv[++i]);
        else if (arg == "--rounds" && i + 1 < argc)
            rounds = std::stoi(argv[++i]);
        else if (arg == "--flows" && i + 1 < argc)
            total = std::stoi(argv[++i]);
        else if (arg == "--concurrency" && i + 1 < argc)
            concurrency = std::stoi(argv[++i]);
        else {
            fmt::print(stderr, "usage: {} [--flows N] [--concurrency C] | --metrics-cost N [--rounds R] | --parts N [--rounds R] | --serve | "
                               "--memory N | --memory-handlers N | --baseline N | --records N\n", argv[0]);
            return 2;
        }
    }
    if (cost_flows > 0)
        return metrics_cost(cost_flows, concurrency, rounds);
    if (parts_flows > 0)
        return parts(parts_flows, concurrency, rounds);
    return flows(total, concurrency);
}
