// Requests per second, CPU time per request and RSS of http::client against the server core on
// loopback, side by side in the same run with a plain libcurl-multi loop sending the same
// requests. The server runs in a child process so that the figures are the client's alone.
//
//   http_client_bench [--requests N] [--rounds R]   compare at 1, 64 and 512 in flight
//   http_client_bench --serve                       only serve (for wrk); prints the port
#include "child_process.hpp"
#include "measure.hpp"
#include "http/client.hpp"
#include "server/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <curl/curl.h>
#include <fmt/format.h>

#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace http = discord::oauth2::http;
namespace srv = discord::oauth2::server;
using clock_type = std::chrono::steady_clock;

namespace {

// A body the size of a typical Discord user object.
const std::string payload = R"({"id":"80351110224678912","username":"Nelly","discriminator":"0","global_name":"Nelly",)"
                            R"("avatar":"8342729096ea3675442027381ff50dfe","verified":true,"flags":64,"public_flags":64})";

int serve(int port_pipe)
{
    asio::io_context io(1);
    srv::router routes;
    routes.add("GET", "/bench", [](srv::request&) -> asio::awaitable<srv::response> {
        co_return srv::response::with_body(200, "application/json", payload);
    });
    srv::server_options options;
    options.limits.max_connections = 8192;
    options.limits.max_connections_per_peer = 0;
    srv::server server(io.get_executor(), std::move(routes), options);
    server.start();
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](std::error_code, int) {
        server.stop();
        io.stop();
    });
    auto port = std::to_string(server.port()) + "\n";
    if (port_pipe >= 0) {
        if (::write(port_pipe, port.data(), port.size()) < 0)
            return 1;
        ::close(port_pipe);
    } else {
        fmt::print("{}", port);
        std::fflush(stdout);
    }
    io.run();
    return 0;
}

struct figures {
    double seconds = 0;
    double cpu = 0;
    double peak_rss = 0;
    int ok = 0;
    int total = 0;

    double per_second() const { return total / seconds; }
    double cpu_us_per_request() const { return cpu * 1e6 / total; }
};

size_t collect(char* data, size_t size, size_t count, void* body)
{
    static_cast<std::string*>(body)->append(data, size * count);
    return size * count;
}

const std::string user_agent = http::client_options{}.user_agent;

// One easy handle per slot, sending what http::client sends (same User-Agent and
// Accept-Encoding), each with its own body buffer as its private pointer.
struct slots {
    std::vector<CURL*> easies;
    std::vector<std::string> bodies;

    slots(const std::string& url, int count) : easies(static_cast<std::size_t>(count)), bodies(easies.size())
    {
        for (std::size_t i = 0; i < easies.size(); ++i) {
            CURL* e = easies[i] = curl_easy_init();
            curl_easy_setopt(e, CURLOPT_URL, url.c_str());
            curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &collect);
            curl_easy_setopt(e, CURLOPT_WRITEDATA, &bodies[i]);
            curl_easy_setopt(e, CURLOPT_PRIVATE, &bodies[i]);
            curl_easy_setopt(e, CURLOPT_PROXY, "");
            curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
            curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent.c_str());
            curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
        }
    }
    ~slots()
    {
        for (CURL* e : easies)
            curl_easy_cleanup(e);
    }
    slots(const slots&) = delete;
    slots& operator=(const slots&) = delete;
};

// Counts the finished transfers (and the correct ones in `f`), re-adding each handle while
// requests remain. Returns how many finished.
int reap(CURLM* multi, figures& f, int& started, int total)
{
    int finished = 0;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL* e = msg->easy_handle;
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        std::string* body = nullptr;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, &body);
        if (msg->data.result == CURLE_OK && status == 200 && body->size() == payload.size())
            ++f.ok;
        ++finished;
        curl_multi_remove_handle(multi, e);
        if (started < total) {
            body->clear();
            curl_multi_add_handle(multi, e);
            ++started;
        }
    }
    return finished;
}

void sample_rss(figures& f, clock_type::time_point& next_sample)
{
    if (clock_type::now() < next_sample)
        return;
    f.peak_rss = std::max(f.peak_rss, rss_mib());
    next_sample = clock_type::now() + std::chrono::milliseconds(20);
}

// What a careful user of libcurl's multi interface writes by hand: one easy handle per slot,
// re-added as soon as it finishes, curl_multi_poll in between.
figures plain_loop(const std::string& url, int in_flight, int total)
{
    figures f;
    f.total = total;
    CURLM* multi = curl_multi_init();
    slots pool(url, std::min(in_flight, total));
    auto start = clock_type::now();
    double cpu_start = cpu_seconds();
    int started = 0;
    int done = 0;
    for (CURL* e : pool.easies) {
        curl_multi_add_handle(multi, e);
        ++started;
    }
    auto next_sample = clock_type::now();
    while (done < total) {
        int running = 0;
        curl_multi_perform(multi, &running);
        done += reap(multi, f, started, total);
        sample_rss(f, next_sample);
        if (done < total)
            curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    f.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    f.cpu = cpu_seconds() - cpu_start;
    for (CURL* e : pool.easies)
        curl_multi_remove_handle(multi, e);
    curl_multi_cleanup(multi);
    return f;
}

// The leanest way to drive curl's socket interface, without Asio: level-triggered epoll and a
// plain timeout. It separates what curl_multi_socket_action itself costs from what our layer adds.
struct epoll_loop_state {
    int epfd = -1;
    long timeout_ms = -1;
};

int epoll_socket_cb(CURL*, curl_socket_t fd, int what, void* userp, void* socketp)
{
    auto& st = *static_cast<epoll_loop_state*>(userp);
    if (what == CURL_POLL_REMOVE) {
        ::epoll_ctl(st.epfd, EPOLL_CTL_DEL, fd, nullptr);
        return 0;
    }
    epoll_event ev{};
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    if (::epoll_ctl(st.epfd, socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST)
        ::epoll_ctl(st.epfd, EPOLL_CTL_MOD, fd, &ev);
    return 0;
}

int epoll_timer_cb(CURLM*, long timeout_ms, void* userp)
{
    static_cast<epoll_loop_state*>(userp)->timeout_ms = timeout_ms;
    return 0;
}

figures socket_loop(const std::string& url, int in_flight, int total)
{
    figures f;
    f.total = total;
    epoll_loop_state st;
    st.epfd = ::epoll_create1(EPOLL_CLOEXEC);
    CURLM* multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &epoll_socket_cb);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, &st);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &epoll_timer_cb);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, &st);
    slots pool(url, std::min(in_flight, total));
    auto start = clock_type::now();
    double cpu_start = cpu_seconds();
    int started = 0;
    int done = 0;
    for (CURL* e : pool.easies) {
        curl_multi_add_handle(multi, e);
        ++started;
    }
    auto next_sample = clock_type::now();
    std::vector<epoll_event> events(256);
    while (done < total) {
        int running = 0;
        int n = ::epoll_wait(st.epfd, events.data(), static_cast<int>(events.size()),
                             st.timeout_ms < 0 ? 1000 : static_cast<int>(st.timeout_ms));
        if (n <= 0) {
            curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
        } else {
            for (int i = 0; i < n; ++i) {
                int flags = (events[i].events & EPOLLIN ? CURL_CSELECT_IN : 0)
                    | (events[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0)
                    | (events[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
                curl_multi_socket_action(multi, events[i].data.fd, flags, &running);
            }
        }
        if (st.timeout_ms == 0)
            curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
        done += reap(multi, f, started, total);
        sample_rss(f, next_sample);
    }
    f.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    f.cpu = cpu_seconds() - cpu_start;
    for (CURL* e : pool.easies)
        curl_multi_remove_handle(multi, e);
    curl_multi_cleanup(multi);
    ::close(st.epfd);
    return f;
}

figures ours(const std::string& url, int in_flight, int total)
{
    figures f;
    f.total = total;
    asio::io_context io(1);
    http::client client(io.get_executor());
    int started = 0;
    int done = 0;
    auto start = clock_type::now();
    double cpu_start = cpu_seconds();
    for (int i = 0; i < std::min(in_flight, total); ++i)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (started < total) {
                ++started;
                http::request r;
                r.url = url;
                auto resp = co_await client.send(std::move(r));
                if (resp.status == 200 && resp.body.size() == payload.size())
                    ++f.ok;
                ++done;
            }
        }, asio::detached);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        asio::steady_timer t(io);
        while (done < total) {
            f.peak_rss = std::max(f.peak_rss, rss_mib());
            t.expires_after(std::chrono::milliseconds(20));
            co_await t.async_wait(asio::use_awaitable);
        }
    }, asio::detached);
    while (done < total)
        io.run_one();
    f.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    f.cpu = cpu_seconds() - cpu_start;
    return f;
}

} // namespace

int main(int argc, char** argv)
{
    int requests = 40000;
    int rounds = 3;
    std::string only; // "ours", "plain" or "socket": run one alone (for profilers)
    std::vector<int> levels{1, 64, 512};
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--serve")
            return serve(-1);
        if (arg == "--requests" && i + 1 < argc)
            requests = std::stoi(argv[++i]);
        else if (arg == "--rounds" && i + 1 < argc)
            rounds = std::stoi(argv[++i]);
        else if (arg == "--only" && i + 1 < argc)
            only = argv[++i];
        else if (arg == "--in-flight" && i + 1 < argc)
            levels = {std::stoi(argv[++i])};
        else {
            fmt::print(stderr, "usage: {} [--requests N] [--rounds R] [--in-flight N] [--only ours|plain|socket] | --serve\n", argv[0]);
            return 2;
        }
    }

    auto child = start_child(serve);
    if (child.pid < 0) {
        fmt::print(stderr, "the server did not start\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    std::string url = fmt::format("http://127.0.0.1:{}/bench", child.ready_line);

    fmt::print("http::client vs a plain libcurl-multi loop (curl_multi_perform + curl_multi_poll), GET of a {}-byte\n"
               "JSON body over loopback, server core in a child process; best of {} rounds, alternating.\n"
               "For reference, 'socket': curl_multi_socket_action driven by a bare epoll loop, no Asio.\n\n",
               payload.size(), rounds);
    fmt::print("{:>9} {:>8} | {:^36} | {:^33} | {:^17}\n", "", "", "requests/s", "CPU per request", "peak RSS");
    fmt::print("{:>9} {:>8} | {:>9} {:>9} {:>9} {:>6} | {:>8} {:>8} {:>8} {:>6} | {:>8} {:>8}\n", "in flight",
               "requests", "plain", "socket", "ours", "ratio", "plain", "socket", "ours", "ratio", "plain", "ours");
    bool all_ok = true;
    for (int in_flight : levels) {
        int total = in_flight == 1 ? std::max(1, requests / 4) : requests;
        if (!only.empty()) {
            auto f = only == "ours" ? ours(url, in_flight, total)
                : only == "socket" ? socket_loop(url, in_flight, total)
                                   : plain_loop(url, in_flight, total);
            fmt::print("{} alone, {} in flight: {:.0f} req/s, {:.1f}us CPU/request, {:.1f} MiB\n", only, in_flight,
                       f.per_second(), f.cpu_us_per_request(), f.peak_rss);
            continue;
        }
        int warm_up = std::max(in_flight, total / 10);
        plain_loop(url, in_flight, warm_up);
        socket_loop(url, in_flight, warm_up);
        ours(url, in_flight, warm_up);
        figures best_plain, best_socket, best_ours;
        auto keep_best = [](figures& best, const figures& f, int round) {
            if (round == 0 || f.per_second() > best.per_second())
                best = f;
        };
        for (int round = 0; round < rounds; ++round) {
            auto o = ours(url, in_flight, total);
            auto p = plain_loop(url, in_flight, total);
            auto k = socket_loop(url, in_flight, total);
            all_ok = all_ok && o.ok == total && p.ok == total && k.ok == total;
            keep_best(best_ours, o, round);
            keep_best(best_plain, p, round);
            keep_best(best_socket, k, round);
        }
        fmt::print("{:>9} {:>8} | {:>9.0f} {:>9.0f} {:>9.0f} {:>5.2f}x | {:>6.1f}us {:>6.1f}us {:>6.1f}us {:>5.2f}x | "
                   "{:>5.1f}MiB {:>5.1f}MiB\n",
                   in_flight, total, best_plain.per_second(), best_socket.per_second(), best_ours.per_second(),
                   best_ours.per_second() / best_plain.per_second(), best_plain.cpu_us_per_request(),
                   best_socket.cpu_us_per_request(), best_ours.cpu_us_per_request(),
                   best_ours.cpu_us_per_request() / best_plain.cpu_us_per_request(), best_plain.peak_rss,
                   best_ours.peak_rss);
        std::fflush(stdout);
    }
    fmt::print("\nratios are ours / plain. goals: throughput >= 0.90x, CPU <= 1.20x, ours RSS < 50 MiB at 512\n");
    stop_child(child);
    if (!all_ok) {
        fmt::print(stderr, "some requests failed\n");
        return 1;
    }
    return 0;
}
