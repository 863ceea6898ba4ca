// Requests per second the emulator answers on one core, over loopback with keep-alive:
// GET /api/v10/users/@me and POST /api/v10/oauth2/token (client credentials). The emulator runs
// in a child process on one thread; http::client drives it from this one.
//
//   emulator_bench [--requests N] [--in-flight N]
#include "child_process.hpp"
#include "emulator_child.hpp"
#include "emulator.hpp"
#include "http/client.hpp"

#include "core/base64.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <fmt/format.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>

namespace em = discord::oauth2::emulator;
namespace http = discord::oauth2::http;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string client_id = "159799960412356608";
const std::string client_secret = "emulator-airhorn-client-secret-0123456789";

em::options bench_options()
{
    em::options o;
    o.rate_limits.enabled = false; // one token hammers one route: Discord's limits would stop it
    return o;
}

double child_cpu_seconds()
{
    rusage u{};
    ::getrusage(RUSAGE_CHILDREN, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
        + static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Sends `total` requests made by `make`, `in_flight` at a time; returns requests per second.
template <class Make>
double run(asio::io_context& io, http::client& client, int total, int in_flight, Make make, int& failures)
{
    int started = 0;
    int done = 0;
    io.restart(); // the run before left it stopped: an idle client holds no work
    auto start = clock_type::now();
    for (int i = 0; i < in_flight; ++i)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (started < total) {
                ++started;
                auto r = co_await client.send(make());
                failures += r.status != 200;
                ++done;
            }
        }, asio::detached);
    while (done < total)
        io.run_one();
    return total / std::chrono::duration<double>(clock_type::now() - start).count();
}

} // namespace

int main(int argc, char** argv)
{
    int requests = 40000;
    int in_flight = 64;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string arg = argv[i];
        if (arg == "--requests")
            requests = std::atoi(argv[i + 1]);
        else if (arg == "--in-flight")
            in_flight = std::atoi(argv[i + 1]);
    }
    auto child = start_child([](int fd) { return serve_emulator(fd, bench_options()); });
    if (child.pid < 0) {
        fmt::print(stderr, "the emulator did not start\n");
        return 1;
    }
    const std::string base = child.ready_line;

    asio::io_context io(1);
    http::client client(io.get_executor());
    int failures = 0;
    auto basic = "Basic " + discord::oauth2::base64::encode(client_id + ":" + client_secret);
    auto token_request = [&] {
        http::request r;
        r.method = "POST";
        r.url = base + "/api/v10/oauth2/token";
        r.fields.add("Authorization", basic);
        r.fields.add("Content-Type", "application/x-www-form-urlencoded");
        r.body = "grant_type=client_credentials&scope=identify";
        return r;
    };

    // One token for the /users/@me run.
    std::string access_token;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        auto r = co_await client.send(token_request());
        auto body = std::string(r.body.view());
        auto at = body.find("\"access_token\":\"") + 16;
        access_token = body.substr(at, body.find('"', at) - at);
    }, asio::detached);
    while (access_token.empty())
        io.run_one();
    auto me_request = [&] {
        http::request r;
        r.url = base + "/api/v10/users/@me";
        r.fields.add("Authorization", "Bearer " + access_token);
        return r;
    };

    run(io, client, requests / 10, in_flight, me_request, failures); // warm-up
    double me_rate = run(io, client, requests, in_flight, me_request, failures);
    double token_rate = run(io, client, requests / 2, in_flight, token_request, failures);
    stop_child(child);
    double emulator_cpu = child_cpu_seconds(); // the child's whole life, every request above
    int answered = 1 + requests / 10 + requests + requests / 2;

    fmt::print("emulator on one core, loopback, keep-alive, {} in flight:\n", in_flight);
    fmt::print("  GET /api/v10/users/@me            {:>9.0f} requests/s ({:.2f}x the 20,000/s goal)\n", me_rate,
               me_rate / 20000);
    fmt::print("  POST /api/v10/oauth2/token (cc)   {:>9.0f} requests/s\n", token_rate);
    fmt::print("  emulator CPU per request          {:>9.1f} us\n",
               emulator_cpu * 1e6 / answered);
    if (failures) {
        fmt::print(stderr, "{} requests failed\n", failures);
        return 1;
    }
    return 0;
}
