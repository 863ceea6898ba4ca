// What the flow benchmarks (flow_bench, peers_bench) share: the emulator they run in a child
// process, the application they sign in to, the codes made beforehand through the consent page,
// the emulator's count of accepted connections (TLS handshakes under --tls), and the flow through
// oauth2::client.
#pragma once

#include "child_process.hpp"
#include "emulator_child.hpp"
#include "emulator.hpp"
#include "measure.hpp"

#include "core/url_encoding.hpp"
#include "http/client.hpp"

#include <discord/oauth2/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace flow_setup {

// The emulator's default seed: the documentation's confidential application and its first user.
inline const std::string client_id = "159799960412356608";
inline const std::string client_secret = "emulator-airhorn-client-secret-0123456789";
inline const std::string bot_token = "emulator-airhorn-bot-token.0123456789";
inline const std::string redirect = "http://127.0.0.1:53134/callback";
inline const std::string user_id = "80351110224678912";

/// The emulator as it runs in a child process: its URL and, under TLS, the CA file to trust.
struct running_emulator {
    child_process child;
    std::string base;
    std::string ca_file;
};

/// Starts the emulator auto-approving, rate limits off, codes that outlive a long run; `pid` of
/// `child` is -1 if it did not start.
inline running_emulator start_emulator(bool tls)
{
    discord::oauth2::emulator::options o;
    o.rate_limits.enabled = false;
    o.auto_approve = true;
    o.code_ttl = std::chrono::seconds(3600);
    o.limits.max_connections = 8192;
    o.tls = tls;
    running_emulator e;
    e.child = start_child([o](int fd) { return serve_emulator(fd, o); });
    const auto& line = e.child.ready_line;
    auto tab = line.find('\t');
    e.base = line.substr(0, tab);
    if (tab != std::string::npos)
        e.ca_file = line.substr(tab + 1);
    return e;
}

inline discord::oauth2::http::client_options trusting(const running_emulator& e)
{
    discord::oauth2::http::client_options o;
    o.ca_file = e.ca_file;
    return o;
}

/// `count` fresh codes, through the consent page as a browser would follow it.
inline std::vector<std::string> make_codes(const running_emulator& e, int count)
{
    namespace http = discord::oauth2::http;
    asio::io_context io(1);
    http::client browser(io.get_executor(), trusting(e));
    std::vector<std::string> codes;
    const auto link = e.base + "/oauth2/authorize?client_id=" + client_id
        + "&response_type=code&scope=identify&state=s&redirect_uri="
        + discord::oauth2::url::percent_encode(redirect);
    int started = 0;
    for (int i = 0; i < std::min(count, 64); ++i)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (started < count) {
                ++started;
                http::request r;
                r.url = link;
                auto response = co_await browser.send(std::move(r));
                auto location = std::string(response.fields.find("location").value_or(""));
                auto at = location.find("code=");
                codes.push_back(location.substr(at + 5, location.find('&', at) - at - 5));
            }
        }, asio::detached);
    io.run();
    return codes;
}

/// Connections the emulator has accepted so far, the one asking included (GET /_emulator/state).
inline std::uint64_t connections_accepted(const running_emulator& e)
{
    namespace http = discord::oauth2::http;
    asio::io_context io(1);
    http::client client(io.get_executor(), trusting(e));
    std::uint64_t accepted = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        http::request r;
        r.url = e.base + "/_emulator/state";
        auto response = co_await client.send(std::move(r));
        simdjson::ondemand::parser parser;
        auto doc = parser.iterate(response.body.data(), response.body.size(),
                                  response.body.size() + simdjson::SIMDJSON_PADDING);
        if (doc["connections"]["accepted"].get_uint64().get(accepted))
            accepted = 0;
    }, asio::detached);
    io.run();
    return accepted;
}

/// What one run of flows cost the process that ran them.
struct figures {
    double seconds = 0;
    double cpu = 0;
    int ok = 0;
    int total = 0;
    double connections = 0; // accepted by the emulator during the run
    double per_thousand_flows() const { return connections * 1000 / total; }
    double per_second() const { return total / seconds; }
    double cpu_us_per_flow() const { return cpu * 1e6 / total; }
};

/// Best of alternating rounds: keeps `f` when it is the first round's or faster than `best`.
inline void keep_best(figures& best, const figures& f, int round)
{
    if (round == 0 || f.per_second() > best.per_second())
        best = f;
}

/// Stops the emulator and turns the run's outcome into the exit status: 1 if a flow failed.
inline int finish(running_emulator& e, bool all_ok)
{
    stop_child(e.child);
    if (!all_ok) {
        fmt::print(stderr, "some flows failed\n");
        return 1;
    }
    return 0;
}

/// The flow through oauth2::client: code exchange, GET /users/@me, refresh, revoke. Like every
/// runner, it keeps its client (and so its connections) from one run to the next: the warm-up run
/// opens the connections, the measured rounds reuse them, as a bot's long-lived client does.
class ours_runner {
public:
    explicit ours_runner(const running_emulator& e, std::shared_ptr<discord::oauth2::metrics_observer> metrics = nullptr)
        : client_(io_.get_executor(), config_for(e, std::move(metrics)))
    {
    }

    figures run(int in_flight, const std::vector<std::string>& codes)
    {
        io_.restart(); // the last run left it stopped: an idle client holds no work
        figures f;
        f.total = static_cast<int>(codes.size());
        std::size_t next = 0;
        int done = 0;
        bool failed = false;
        auto start = std::chrono::steady_clock::now();
        double cpu_start = cpu_seconds();
        for (int i = 0; i < std::min(in_flight, f.total); ++i)
            asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
                while (next < codes.size()) {
                    const auto& code = codes[next++];
                    auto token = co_await client_.exchange_code(code);
                    auto me = co_await client_.get_current_user(token);
                    auto refreshed = co_await client_.refresh(*token.refresh_token);
                    co_await client_.revoke(refreshed.token);
                    f.ok += me.id == discord::oauth2::snowflake(80351110224678912ULL);
                    ++done;
                }
            }, [&](std::exception_ptr e) {
                failed = failed || e; // a failed flow shows as ok < total
            });
        while (done < f.total && !failed)
            io_.run_one();
        f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        f.cpu = cpu_seconds() - cpu_start;
        return f;
    }

private:
    static discord::oauth2::client_config config_for(const running_emulator& e,
                                                     std::shared_ptr<discord::oauth2::metrics_observer> metrics)
    {
        discord::oauth2::client_config config;
        config.metrics = std::move(metrics);
        config.client_id = discord::oauth2::snowflake(159799960412356608ULL);
        config.client_secret = discord::oauth2::secret(client_secret);
        config.redirect_uri = redirect;
        config.endpoints = discord::oauth2::endpoints::under(e.base);
        config.ca_file = e.ca_file;
        return config;
    }

    asio::io_context io_{1};
    discord::oauth2::client client_;
};

} // namespace flow_setup
