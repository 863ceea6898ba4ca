// Many users at once: N users (10,000 by default) link within one minute through one web server,
// while the emulator answers every request late (100 ms by default) with its rate limits on. Every
// user must get a grant; it prints the callback's latency percentiles, and how long the client
// waited on Discord's rate limits in all (goal: 0, since each user stays within their own budget:
// no request waits on another user's limit) and how many 429s it drew.
//
//   users_bench [--users N] [--seconds S] [--latency MS]
//
// The emulator runs in a child process; the web server, its client, the waiters and the browsers
// run here.
#include "child_process.hpp"
#include "emulator_child.hpp"
#include "many_users.hpp"
#include "measure.hpp"

#include "http/client.hpp"
#include "server/free_port.hpp"

#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>
#include <vector>

namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The milliseconds in a client log line about a rate-limit wait ("... waits 812 ms for Discord's
// rate limit", "... was rate-limited by Discord; waiting 812 ms"); 0 for any other line.
long waited_ms(std::string_view line)
{
    for (std::string_view marker : {" waits ", "; waiting "}) {
        auto at = line.find(marker);
        if (at == std::string_view::npos || line.find("rate") == std::string_view::npos)
            continue;
        long ms = 0;
        auto digits = line.substr(at + marker.size());
        std::from_chars(digits.data(), digits.data() + digits.size(), ms);
        return ms;
    }
    return 0;
}

struct outcome {
    int authorized = 0;
    int other = 0;
    std::vector<double> callback_ms;
    std::string first_failure;
};

} // namespace

int main(int argc, char** argv)
{
    int users = 10'000;
    int seconds = 60;
    int latency = 100;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--users" && i + 1 < argc)
            users = std::stoi(argv[++i]);
        else if (arg == "--seconds" && i + 1 < argc)
            seconds = std::stoi(argv[++i]);
        else if (arg == "--latency" && i + 1 < argc)
            latency = std::stoi(argv[++i]);
        else {
            fmt::print(stderr, "usage: {} [--users N] [--seconds S] [--latency MS]\n", argv[0]);
            return 2;
        }
    }
    auto redirect = "http://127.0.0.1:" + std::to_string(oauth2::server::free_port()) + "/callback";
    oauth2::emulator::options o;
    o.auto_approve = true;
    o.code_ttl = std::chrono::seconds(3600);
    o.limits.max_connections = 16384;
    o.faults.push_back(oauth2::emulator::fault::parse(fmt::format("* * latency={}", latency)));
    many_users::populate(o, users, redirect);
    auto discord = start_child([o](int fd) { return serve_emulator(fd, o); });
    if (discord.pid < 0) {
        fmt::print(stderr, "the emulator did not start\n");
        return 1;
    }

    asio::io_context io(1);
    oauth2::client_config c;
    c.client_id = oauth2::snowflake(159799960412356608ULL);
    c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
    c.redirect_uri = redirect;
    c.endpoints = oauth2::endpoints::under(discord.ready_line);
    long waited = 0;
    long waits = 0;
    c.logger = [&](oauth2::log_level level, std::string_view line) {
        if (level != oauth2::log_level::info)
            return;
        if (auto ms = waited_ms(line); ms > 0 || line.find("rate") != std::string_view::npos) {
            waited += ms;
            ++waits;
        }
    };
    oauth2::client client(io.get_executor(), c);
    oauth2::web_server_config wc;
    wc.limits.max_connections = 16384;
    wc.limits.max_connections_per_peer = 0; // every browser here is 127.0.0.1
    wc.exchanges_per_minute_per_client = 0; // and every user's code is exchanged as it comes
    wc.exchanges_per_second = 0;
    oauth2::web_server web(io.get_executor(), client, wc);
    web.start();
    http::client_options bo;
    bo.timeout = 60s;
    http::client browser(io.get_executor(), bo);

    outcome result;
    int finished = 0;
    const std::vector<std::string_view> identify{oauth2::scope::identify};
    auto flow = [&](int i) -> asio::awaitable<void> {
        auto user = oauth2::snowflake(many_users::id_of(i));
        auto link = web.authorization_url(user, identify);
        // The bot waits for the user's grant with a plain handler; the user's browser goes.
        web.async_wait_for_access_token(user, link, 5min, [&](std::error_code, oauth2::authorization_result r) {
            if (r)
                ++result.authorized;
            else {
                ++result.other;
                if (result.first_failure.empty())
                    result.first_failure = fmt::format("{}: {}", oauth2::to_string(r.outcome), r.description);
            }
            ++finished;
        });
        http::request consent;
        consent.url = link + "&emulator_user=" + user.to_string();
        auto redirected = co_await browser.send(std::move(consent));
        auto location = redirected.fields.find("location");
        if (!location)
            co_return; // its waiter reports the failure at its timeout
        http::request callback;
        callback.url = std::string(*location);
        auto sent = clock_type::now();
        auto page = co_await browser.send(std::move(callback));
        if (page.status == 200)
            result.callback_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - sent).count());
    };

    fmt::print("{} users link within {} s through one web server; the emulator answers every request {} ms late, "
               "its rate limits on\n",
               users, seconds, latency);
    auto cpu_before = cpu_seconds();
    auto start = clock_type::now();
    asio::steady_timer tick(io);
    int launched = 0;
    std::function<void()> launch = [&] {
        auto due = std::min<long>(users, static_cast<long>(std::chrono::duration<double>(clock_type::now() - start).count()
                                                          * users / seconds) + 1);
        for (; launched < due; ++launched)
            asio::co_spawn(io, flow(launched), [&](std::exception_ptr e) {
                if (e && result.first_failure.empty())
                    result.first_failure = "a browser failed";
            });
        if (launched < users) {
            tick.expires_after(5ms);
            tick.async_wait([&](std::error_code) { launch(); });
        }
    };
    launch();
    while (finished < users && clock_type::now() < start + std::chrono::seconds(seconds) + 5min)
        io.run_for(100ms);
    auto elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    auto cpu = cpu_seconds() - cpu_before;

    // The emulator's own count of the 429s it answered (and 401/403s).
    long invalid = -1;
    http::request state;
    state.url = discord.ready_line + "/_emulator/state";
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto answer = co_await browser.send(std::move(state));
        simdjson::dom::parser parser;
        int64_t n = 0;
        if (!parser.parse(answer.body.view())["invalid_requests"].get(n))
            invalid = n;
    }, asio::detached);
    io.run_for(5s);

    fmt::print("{} of {} users got their grant in {:.1f} s ({} otherwise{}); callback latency p50 {:.1f} ms, "
               "p99 {:.1f} ms; {:.0f} us of CPU per flow here (server, client, browsers)\n",
               result.authorized, users, elapsed, result.other,
               result.first_failure.empty() ? "" : ", first: " + result.first_failure,
               percentile(result.callback_ms, 0.5), percentile(result.callback_ms, 0.99), cpu * 1e6 / users);
    fmt::print("rate limits: the client waited {} ms in all ({} waits), and the emulator answered {} invalid "
               "requests (401, 403, 429): goal 0 waits, no user held up by another's limit\n",
               waited, waits, invalid);
    stop_child(discord);
    return result.authorized == users && waited == 0 ? 0 : 1;
}
