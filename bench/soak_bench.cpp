// A bot's hundredth day, compressed: `discord-oauth2 serve` over a SQLite store takes link ->
// authorize -> callback flows for many users at a steady rate for a set time, its links living
// shorter than the run, so that whatever it remembers per link has come and gone several times.
// Every minute it prints flows/s, failed flows, serve's RSS and its RSS over idle per live link;
// at the end, RSS after one link lifetime against after two (goal: within 2 MiB) and a real
// callback's latency with and without a linked roles flood from one client beside it (goal:
// within 2x).
//
//   soak_bench [--minutes M] [--rate FLOWS_PER_S] [--link-lifetime S] [--users N]
//
// Defaults: 20 minutes, 300 flows/s, links living 120 s, 10,000 users. The emulator (auto-
// approving, rate limits on) and serve run in child processes; this process plays the bot (its
// control requests) and the browsers, behind a reverse proxy as a deployment has them: serve
// trusts 127.0.0.1 and each user's browser is the address its X-Forwarded-For names (one
// address for all would meet serve's per-peer connection cap, which no real crowd does).
#include "child_process.hpp"
#include "emulator_child.hpp"
#include "many_users.hpp"
#include "measure.hpp"
#include "support/process.hpp"

#include "core/url_encoding.hpp"
#include "http/client.hpp"
#include "server/free_port.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

namespace http = discord::oauth2::http;
namespace url = discord::oauth2::url;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct settings {
    int minutes = 20;
    double rate = 300;
    int link_lifetime = 120; // seconds
    int users = 10'000;
};

void write_private(const std::filesystem::path& file, const std::string& text)
{
    std::ofstream(file) << text << '\n';
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// What the run has seen so far; the driver's single thread is the only writer.
struct tally {
    long flows = 0;
    long failed = 0;
    std::vector<double> callback_ms; // the current window's
    std::string first_failure;
};

struct soak {
    settings s;
    asio::io_context io{1};
    http::client browser{io.get_executor()};
    std::string control;     // http://127.0.0.1:PORT
    std::string control_key; // its bearer key
    std::string web;         // serve's origin
    std::string redirect;
    tally t;
    int next_user = 0;

    // One user's flow, as a bot and its user play it: the bot asks serve for a link, the user
    // authorizes at Discord (auto-approved), their browser brings the callback to serve.
    asio::awaitable<void> flow()
    {
        auto index = next_user++ % s.users;
        auto user = std::to_string(many_users::id_of(index));
        // Each user's browser behind the reverse proxy this process plays (serve trusts it).
        auto client = fmt::format("10.{}.{}.{}", (index >> 16) & 255, (index >> 8) & 255, index & 255);
        std::string why;
        try {
            http::request link;
            link.method = "POST";
            link.url = control + "/link";
            link.fields.add("Authorization", "Bearer " + control_key);
            link.fields.add("Content-Type", "application/json");
            link.body = R"({"user_id":")" + user + R"("})";
            auto made = co_await browser.send(std::move(link));
            simdjson::dom::parser parser;
            std::string_view link_url;
            if (made.status != 200 || parser.parse(made.body.view())["url"].get(link_url))
                throw std::runtime_error(fmt::format("POST /link answered {}", made.status));
            http::request consent;
            consent.url = std::string(link_url) + "&emulator_user=" + user;
            auto redirected = co_await browser.send(std::move(consent));
            auto location = redirected.fields.find("location");
            if (redirected.status != 302 || !location)
                throw std::runtime_error(fmt::format("the consent answered {}", redirected.status));
            http::request callback;
            callback.url = std::string(*location);
            callback.fields.add("X-Forwarded-For", client);
            auto sent = clock_type::now();
            auto page = co_await browser.send(std::move(callback));
            if (page.status != 200)
                throw std::runtime_error(fmt::format("the callback answered {}: {}", page.status,
                                                     std::string(page.body.view().substr(0, 300))));
            t.callback_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - sent).count());
            ++t.flows;
            co_return;
        } catch (const std::exception& e) {
            why = e.what();
        }
        ++t.failed;
        if (t.first_failure.empty())
            t.first_failure = why;
    }

    // Flows started at `rate` a second until `until`.
    asio::awaitable<void> steady(clock_type::time_point until)
    {
        asio::steady_timer tick(io);
        auto started = clock_type::now();
        long launched = 0;
        while (clock_type::now() < until) {
            auto due = static_cast<long>(std::chrono::duration<double>(clock_type::now() - started).count() * s.rate);
            for (; launched < due; ++launched)
                asio::co_spawn(io, flow(), asio::detached);
            tick.expires_after(5ms);
            co_await tick.async_wait(asio::use_awaitable);
        }
    }

    // One client opening the linked roles path and spending each state on a denial with a 7 KB
    // description, as fast as it goes, until `until`.
    asio::awaitable<void> flood(clock_type::time_point until, long& pairs, long& refused)
    {
        http::client attacker(io.get_executor());
        const std::string description = url::percent_encode(std::string(7000, 'x'));
        while (clock_type::now() < until) {
            http::request open;
            open.url = web + "/linked-role";
            open.fields.add("X-Forwarded-For", "198.51.100.66"); // one client behind the proxy
            auto visit = co_await attacker.send(std::move(open));
            ++pairs;
            if (visit.status != 302) {
                ++refused;
                continue;
            }
            auto cookie = std::string(visit.fields.find("set-cookie").value_or(""));
            auto location = std::string(visit.fields.find("location").value_or(""));
            auto at = location.find("state=");
            auto state = at == std::string::npos ? std::string() : location.substr(at + 6, location.find('&', at) - at - 6);
            http::request deny;
            deny.url = redirect + "?error=access_denied&state=" + state + "&error_description=" + description;
            deny.fields.add("Cookie", cookie.substr(0, cookie.find(';')));
            deny.fields.add("X-Forwarded-For", "198.51.100.66");
            (void)co_await attacker.send(std::move(deny));
        }
    }
};

settings parse(int argc, char** argv)
{
    settings s;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto next = [&] {
            if (i + 1 >= argc)
                throw std::invalid_argument(arg + " needs a value");
            return std::stod(argv[++i]);
        };
        if (arg == "--minutes")
            s.minutes = static_cast<int>(next());
        else if (arg == "--rate")
            s.rate = next();
        else if (arg == "--link-lifetime")
            s.link_lifetime = static_cast<int>(next());
        else if (arg == "--users")
            s.users = static_cast<int>(next());
        else
            throw std::invalid_argument("unknown option " + arg);
    }
    if (s.minutes < 1 || s.rate <= 0 || s.link_lifetime < 1 || s.users < 1)
        throw std::invalid_argument("every value must be positive");
    return s;
}

} // namespace

int main(int argc, char** argv)
{
    soak run;
    try {
        run.s = parse(argc, argv);
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}\nusage: {} [--minutes M] [--rate FLOWS_PER_S] [--link-lifetime S] [--users N]\n", e.what(),
                   argv[0]);
        return 2;
    }
    const auto& s = run.s;
    auto web_port = discord::oauth2::server::free_port();
    auto control_port = discord::oauth2::server::free_port();
    run.web = "http://127.0.0.1:" + std::to_string(web_port);
    run.redirect = run.web + "/callback";
    run.control = "http://127.0.0.1:" + std::to_string(control_port);

    discord::oauth2::emulator::options o;
    o.auto_approve = true;
    o.code_ttl = std::chrono::seconds(3600);
    o.limits.max_connections = 8192;
    many_users::populate(o, s.users, run.redirect);
    auto discord = start_child([o](int fd) { return serve_emulator(fd, o); });
    if (discord.pid < 0) {
        fmt::print(stderr, "the emulator did not start\n");
        return 1;
    }

    auto dir = std::filesystem::temp_directory_path() / ("soak-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    run.control_key = std::string(64, 'c');
    write_private(dir / "store.key", std::string(64, '5'));
    write_private(dir / "control.key", run.control_key);
    // A bot this busy raises serve's limits on code exchanges (50 a second in all, 30 a minute
    // per client): to twice what the flows need, so that the limits are on the path and refuse
    // no flow.
    auto exchanges_per_second = fmt::format("{:.0f}", std::max(50.0, std::ceil(2 * s.rate)));
    auto exchanges_per_client = fmt::format("{:.0f}", std::max(30.0, std::ceil(2 * s.rate * 60 / s.users)));
    auto serve = test::spawn(SERVE_PROGRAM,
                             {"serve", "--store", "sqlite:" + (dir / "grants.db").string(), "--store-key-file",
                              (dir / "store.key").string(), "--control", run.control, "--control-key-file",
                              (dir / "control.key").string(), "--port", std::to_string(web_port), "--link-lifetime",
                              std::to_string(s.link_lifetime) + "s", "--linked-roles-path", "/linked-role",
                              "--trusted-proxy", "127.0.0.1", "--exchanges-per-second", exchanges_per_second,
                              "--exchanges-per-minute-per-client", exchanges_per_client},
                             {{"DISCORD_CLIENT_ID", "159799960412356608"},
                              {"DISCORD_CLIENT_SECRET", "emulator-airhorn-client-secret-0123456789"},
                              {"DISCORD_REDIRECT_URI", run.redirect},
                              {"DISCORD_API_BASE", discord.ready_line}});
    auto ready = test::read_line_within(serve.out, 20s);
    if (ready.empty()) {
        fmt::print(stderr, "serve did not start: {}\n", test::read_all(serve.err));
        stop_child(discord);
        return 1;
    }
    // Its event lines are read as a bot would (a sidecar whose reader stops is another test), and
    // its standard error too: a full pipe would stall it.
    std::atomic<long> lines{0};
    std::thread reader([fd = serve.out, &lines] {
        char buffer[65536];
        for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
            lines += std::count(buffer, buffer + n, '\n');
    });
    std::string errors; // its last words, if it fails
    std::thread error_reader([fd = serve.err, &errors] {
        char buffer[4096];
        for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
            errors = (errors + std::string(buffer, static_cast<std::size_t>(n))).substr(0, 4096);
    });

    fmt::print("soak: serve over SQLite at {:.0f} flows/s for {} min, links living {} s, {} users; the emulator "
               "(rate limits on) and serve in child processes\n",
               s.rate, s.minutes, s.link_lifetime, s.users);
    std::this_thread::sleep_for(1s);
    double idle = rss_mib(std::to_string(serve.pid));
    fmt::print("serve idle: {:.1f} MiB RSS\n", idle);

    auto start = clock_type::now();
    auto end = start + std::chrono::minutes(s.minutes);
    std::map<int, double> rss_at; // by second since the start
    asio::co_spawn(run.io, run.steady(end), asio::detached);
    asio::steady_timer sampler(run.io);
    long flows_before = 0;
    long failed_before = 0;
    int minute = 0;
    auto sample = [&](auto& self) -> void {
        sampler.expires_after(1s);
        sampler.async_wait([&, self_ref = &self](std::error_code ec) {
            if (ec)
                return;
            auto second = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - start).count());
            rss_at[second] = rss_mib(std::to_string(serve.pid));
            if (second >= (minute + 1) * 60) {
                ++minute;
                auto live = std::min<double>(s.rate * s.link_lifetime, s.rate * second);
                fmt::print("minute {:2}: {:.1f} flows/s, {} failed, serve {:.1f} MiB RSS, {:.0f} bytes over idle per "
                           "live link (~{:.0f} links live), {} event lines\n",
                           minute, static_cast<double>(run.t.flows - flows_before) / 60.0, run.t.failed - failed_before,
                           rss_at[second], (rss_at[second] - idle) * 1024 * 1024 / live, live, lines.load());
                std::fflush(stdout);
                flows_before = run.t.flows;
                failed_before = run.t.failed;
                run.t.callback_ms.clear();
            }
            if (clock_type::now() < end)
                (*self_ref)(*self_ref);
        });
    };
    sample(sample);
    run.io.run();
    run.io.restart();

    auto rss_near = [&](int second) {
        auto it = rss_at.lower_bound(second);
        return it == rss_at.end() ? (rss_at.empty() ? 0.0 : rss_at.rbegin()->second) : it->second;
    };
    double one = rss_near(s.link_lifetime);
    double two = rss_near(2 * s.link_lifetime);
    double last = rss_at.empty() ? 0.0 : rss_at.rbegin()->second;
    fmt::print("serve RSS after one link lifetime ({} s): {:.1f} MiB; after two: {:.1f} MiB ({:+.1f} MiB, goal within "
               "2 MiB); at the end: {:.1f} MiB ({:+.1f} MiB over one lifetime)\n",
               s.link_lifetime, one, two, two - one, last, last - one);

    // A real callback's latency at the same rate, 30 s alone, then 30 s beside a flood.
    run.t.callback_ms.clear();
    asio::co_spawn(run.io, run.steady(clock_type::now() + 30s), asio::detached);
    run.io.run();
    run.io.restart();
    auto quiet = run.t.callback_ms;
    run.t.callback_ms.clear();
    long pairs = 0;
    long refused = 0;
    auto flood_end = clock_type::now() + 30s;
    asio::co_spawn(run.io, run.steady(flood_end), asio::detached);
    asio::co_spawn(run.io, run.flood(flood_end, pairs, refused), asio::detached);
    run.io.run();
    auto flooded = run.t.callback_ms;
    fmt::print("callback latency at {:.0f} flows/s: p50 {:.2f} ms, p99 {:.2f} ms alone; beside a linked roles flood "
               "from one client ({} visits, {} refused by its per-client limit): p50 {:.2f} ms, p99 {:.2f} ms "
               "({:.2f}x at p99, goal within 2x)\n",
               s.rate, percentile(quiet, 0.5), percentile(quiet, 0.99), pairs, refused, percentile(flooded, 0.5),
               percentile(flooded, 0.99), percentile(quiet, 0.99) > 0 ? percentile(flooded, 0.99) / percentile(quiet, 0.99) : 0.0);
    fmt::print("flows: {} completed, {} failed{}\n", run.t.flows, run.t.failed,
               run.t.first_failure.empty() ? "" : " (first: " + run.t.first_failure + ")");

    ::kill(serve.pid, SIGTERM);
    reader.join();
    error_reader.join();
    if (run.t.failed > 0 && !errors.empty())
        fmt::print("serve's standard error began: {}\n", errors);
    test::wait_exit(serve);
    stop_child(discord);
    std::filesystem::remove_all(dir);
    return run.t.failed == 0 ? 0 : 1;
}
