// The full OAuth2 flow through discord::oauth2::client (code exchange, GET /users/@me, refresh,
// revoke) against the emulator, side by side in the same run with a plain libcurl-multi loop
// that sends the same four requests and reads the same fields, twice: driven by
// curl_multi_perform (curl polls its sockets itself) and by curl_multi_socket_action over a
// minimal epoll loop (the only API that lets curl live inside another event loop, as ours does).
// The emulator runs in a child process (rate limits off), so the CPU figures are the client's
// alone. Codes are made before each measured run, by the emulator's auto-approving consent page,
// outside the measurement.
//
// With --tls the emulator serves HTTPS (a self-signed certificate every client trusts) and each
// column also shows the TLS handshakes it made per 1,000 flows (the emulator's accepted
// connections), after a warm-up round that opens the connections a client keeps.
//
//   flow_bench [--tls] [--flows N] [--rounds R] [--in-flight N] [--only ours|http|plain|socket]
//   flow_bench --metrics-cost [--flows N] [--rounds R] [--in-flight N]
//
// --metrics-cost runs oauth2::client alone twice over, alternating: without a metrics observer,
// and counting into a Prometheus registry (as serve --metrics does), and prints what counting
// costs a flow as the ratio of their CPU per flow.
//
// To profile one client's measured run alone (the emulator child is sampled too; tell the two
// apart with --sort pid):
//   mkfifo ctl; FLOW_BENCH_PERF_CONTROL=ctl perf record -D -1 --control fifo:ctl -- flow_bench --only ours
#include "flow_setup.hpp"
#include "counting_observer.hpp"
#include "measure.hpp"

#include "core/base64.hpp"
#include "core/url_encoding.hpp"
#include "http/client.hpp"

#include <discord/oauth2/client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <curl/curl.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace url = discord::oauth2::url;
using clock_type = std::chrono::steady_clock;

namespace {

using flow_setup::client_id;
using flow_setup::client_secret;
using flow_setup::redirect;
using flow_setup::figures;
using flow_setup::ours_runner;
using flow_setup::running_emulator;

// The same four requests through http::client alone, read as the plain loop reads them: what
// the layer below oauth2::client costs, to tell the two layers' shares apart.
class http_runner {
public:
    explicit http_runner(const running_emulator& e) : base_(e.base), client_(io_.get_executor(), flow_setup::trusting(e)) {}

    figures run(int in_flight, const std::vector<std::string>& codes);

private:
    std::string base_;
    asio::io_context io_{1};
    http::client client_;
};

figures http_runner::run(int in_flight, const std::vector<std::string>& codes)
{
    const auto& base = base_;
    auto& io = io_;
    auto& client = client_;
    io.restart(); // the last run left it stopped: an idle client holds no work
    figures f;
    f.total = static_cast<int>(codes.size());
    const auto basic = "Basic " + oauth2::base64::encode(client_id + ":" + client_secret);
    const auto redirect_param = "&redirect_uri=" + url::percent_encode(redirect);
    auto post = [&](std::string where, std::string body) {
        http::request r;
        r.method = "POST";
        r.url = base + where;
        r.fields.add("Authorization", basic);
        r.fields.add("Content-Type", "application/x-www-form-urlencoded");
        r.body = std::move(body);
        return r;
    };
    auto tokens = [](const http::response& r, std::string& access, std::string& refresh) {
        simdjson::ondemand::parser parser;
        auto doc = parser.iterate(r.body.data(), r.body.size(), r.body.size() + simdjson::SIMDJSON_PADDING);
        std::string_view a, b;
        if (r.status != 200 || doc["access_token"].get_string().get(a) || doc["refresh_token"].get_string().get(b))
            return false;
        access = a;
        refresh = b;
        return true;
    };
    std::size_t next = 0;
    int done = 0;
    auto start = clock_type::now();
    double cpu_start = cpu_seconds();
    for (int i = 0; i < std::min(in_flight, f.total); ++i)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            std::string access, refresh;
            while (next < codes.size()) {
                const auto& code = codes[next++];
                bool ok = tokens(co_await client.send(post("/api/v10/oauth2/token",
                                     "grant_type=authorization_code&code=" + code + redirect_param)), access, refresh);
                http::request me;
                me.url = base + "/api/v10/users/@me";
                me.fields.add("Authorization", "Bearer " + access);
                ok = ok && (co_await client.send(std::move(me))).status == 200;
                ok = ok && tokens(co_await client.send(post("/api/v10/oauth2/token",
                                     "grant_type=refresh_token&refresh_token=" + refresh)), access, refresh);
                ok = ok && (co_await client.send(post("/api/v10/oauth2/token/revoke", "token=" + access))).status == 200;
                f.ok += ok;
                ++done;
            }
        }, asio::detached);
    while (done < f.total)
        io.run_one();
    f.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    f.cpu = cpu_seconds() - cpu_start;
    return f;
}

// --- The plain loop: what a careful libcurl user writes by hand for the same flow. ---

size_t collect(char* data, size_t size, size_t count, void* body)
{
    static_cast<std::string*>(body)->append(data, size * count);
    return size * count;
}

struct flow_slot {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string body;
    std::string post;
    std::string access;
    std::string refresh;
    int step = 0;
};

struct plain_context {
    std::string token_url;
    std::string revoke_url;
    std::string me_url;
    std::string basic;          // "Authorization: Basic ..." computed once
    std::string redirect_param; // "&redirect_uri=..." encoded once
    std::string user_agent = oauth2::client_config{}.user_agent;
    simdjson::ondemand::parser parser;
};

// Prepares the slot's easy handle for its current step.
void prepare(plain_context& c, flow_slot& s, const std::string& code)
{
    curl_slist_free_all(s.headers);
    s.headers = nullptr;
    s.body.clear();
    if (s.step == 1) {
        curl_easy_setopt(s.easy, CURLOPT_URL, c.me_url.c_str());
        curl_easy_setopt(s.easy, CURLOPT_HTTPGET, 1L);
        s.headers = curl_slist_append(nullptr, ("Authorization: Bearer " + s.access).c_str());
    } else {
        if (s.step == 0)
            s.post = "grant_type=authorization_code&code=" + code + c.redirect_param;
        else if (s.step == 2)
            s.post = "grant_type=refresh_token&refresh_token=" + s.refresh;
        else
            s.post = "token=" + s.access;
        curl_easy_setopt(s.easy, CURLOPT_URL, s.step == 3 ? c.revoke_url.c_str() : c.token_url.c_str());
        curl_easy_setopt(s.easy, CURLOPT_POSTFIELDS, s.post.c_str());
        curl_easy_setopt(s.easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(s.post.size()));
        s.headers = curl_slist_append(nullptr, c.basic.c_str());
        s.headers = curl_slist_append(s.headers, "Content-Type: application/x-www-form-urlencoded");
    }
    curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, s.headers);
}

// Reads what the step's answer must give; false if it is not a success.
bool absorb(plain_context& c, flow_slot& s)
{
    if (s.step == 3)
        return true;
    s.body.reserve(s.body.size() + simdjson::SIMDJSON_PADDING);
    auto doc = c.parser.iterate(s.body.data(), s.body.size(), s.body.capacity());
    if (s.step == 1) {
        std::string_view id;
        return !doc["id"].get_string().get(id) && id == "80351110224678912";
    }
    std::string_view access;
    std::string_view refresh;
    if (doc["access_token"].get_string().get(access) || doc["refresh_token"].get_string().get(refresh))
        return false;
    s.access = access;
    s.refresh = refresh;
    return true;
}

// How the plain loop drives curl: curl_multi_perform + curl_multi_poll (curl polls every socket
// itself), or curl_multi_socket_action over a minimal epoll loop of its own (the API a library
// that lives in someone else's event loop must use: curl tells it which sockets to watch).
enum class curl_api { perform, socket_action };

class plain_runner {
public:
    explicit plain_runner(const running_emulator& e, curl_api api = curl_api::perform) : ca_file_(e.ca_file), api_(api)
    {
        if (api_ == curl_api::socket_action) {
            curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &plain_runner::on_socket);
            curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
            curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &plain_runner::on_timer);
            curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
        }
        c_.token_url = e.base + "/api/v10/oauth2/token";
        c_.revoke_url = e.base + "/api/v10/oauth2/token/revoke";
        c_.me_url = e.base + "/api/v10/users/@me";
        c_.basic = "Authorization: Basic " + oauth2::base64::encode(client_id + ":" + client_secret);
        c_.redirect_param = "&redirect_uri=" + url::percent_encode(redirect);
    }
    ~plain_runner()
    {
        for (auto& s : slots_) {
            curl_slist_free_all(s.headers);
            curl_easy_cleanup(s.easy);
        }
        curl_multi_cleanup(multi_);
        ::close(epoll_);
    }
    plain_runner(const plain_runner&) = delete;
    plain_runner& operator=(const plain_runner&) = delete;

    figures run(int in_flight, const std::vector<std::string>& codes);

private:
    void add_slots(std::size_t count)
    {
        slots_.reserve(count); // the easy handles point at their slots: no reallocation after this
        while (slots_.size() < count) {
            auto& s = slots_.emplace_back();
            s.easy = curl_easy_init();
            curl_easy_setopt(s.easy, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, &collect);
            curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s.body);
            curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
            curl_easy_setopt(s.easy, CURLOPT_PROXY, "");
            curl_easy_setopt(s.easy, CURLOPT_TIMEOUT_MS, 30000L);
            curl_easy_setopt(s.easy, CURLOPT_USERAGENT, c_.user_agent.c_str());
            curl_easy_setopt(s.easy, CURLOPT_ACCEPT_ENCODING, "");
            if (!ca_file_.empty())
                curl_easy_setopt(s.easy, CURLOPT_CAINFO, ca_file_.c_str());
        }
    }

    // The socket API's two callbacks, kept as small as a careful hand-written loop keeps them:
    // an fd's registration changes only when what curl wants of it changes.
    static int on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void*)
    {
        auto& self = *static_cast<plain_runner*>(self_ptr);
        auto index = static_cast<std::size_t>(fd);
        if (index >= self.registered_.size())
            self.registered_.resize(index + 64);
        auto& registered = self.registered_[index];
        if (what == CURL_POLL_REMOVE) {
            ::epoll_ctl(self.epoll_, EPOLL_CTL_DEL, fd, nullptr);
            registered = 0;
            return 0;
        }
        unsigned events = ((what & CURL_POLL_IN) ? unsigned{EPOLLIN} : 0U) | ((what & CURL_POLL_OUT) ? unsigned{EPOLLOUT} : 0U);
        if (events == registered)
            return 0;
        epoll_event change{};
        change.events = events;
        change.data.fd = fd;
        ::epoll_ctl(self.epoll_, registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &change);
        registered = events;
        return 0;
    }
    static int on_timer(CURLM*, long timeout_ms, void* self_ptr)
    {
        auto& self = *static_cast<plain_runner*>(self_ptr);
        if (timeout_ms < 0)
            self.deadline_.reset();
        else
            self.deadline_ = clock_type::now() + std::chrono::milliseconds(timeout_ms);
        return 0;
    }
    // One round of the socket API loop: waits until a socket is ready or curl's time comes.
    void socket_round()
    {
        int wait_ms = 1000;
        if (deadline_) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - clock_type::now()).count();
            wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 1000));
        }
        epoll_event ready[64];
        int n = ::epoll_wait(epoll_, ready, 64, wait_ms);
        int running = 0;
        for (int i = 0; i < n; ++i) {
            unsigned ev = ready[i].events;
            int select = ((ev & (EPOLLIN | EPOLLHUP)) ? CURL_CSELECT_IN : 0) | ((ev & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
                | ((ev & EPOLLERR) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(multi_, ready[i].data.fd, select, &running);
        }
        if (deadline_ && clock_type::now() >= *deadline_) {
            deadline_.reset();
            curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
        }
    }

    std::string ca_file_;
    curl_api api_;
    plain_context c_;
    CURLM* multi_ = curl_multi_init();
    int epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<unsigned> registered_; // the socket API's epoll events per fd
    std::optional<clock_type::time_point> deadline_;
    std::vector<flow_slot> slots_; // one per flow in flight, kept across runs
};

figures plain_runner::run(int in_flight, const std::vector<std::string>& codes)
{
    auto& c = c_;
    auto* multi = multi_;
    figures f;
    f.total = static_cast<int>(codes.size());
    auto used = static_cast<std::size_t>(std::min(in_flight, f.total));
    if (slots_.empty())
        add_slots(static_cast<std::size_t>(in_flight));
    auto* slots = slots_.data();
    std::vector<std::size_t> code_of(used);
    std::size_t next = 0;
    auto start = clock_type::now();
    double cpu_start = cpu_seconds();
    for (std::size_t i = 0; i < used; ++i) {
        auto& s = slots[i];
        s.step = 0;
        code_of[i] = next++;
        prepare(c, s, codes[code_of[i]]);
        curl_multi_add_handle(multi, s.easy);
    }
    int done = 0;
    int active = static_cast<int>(used);
    while (active > 0) {
        int running = 0;
        if (api_ == curl_api::perform)
            curl_multi_perform(multi, &running);
        else
            socket_round();
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            flow_slot* s = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
            long status = 0;
            curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle(multi, s->easy);
            auto index = static_cast<std::size_t>(s - slots);
            bool ok = msg->data.result == CURLE_OK && status == 200 && absorb(c, *s);
            if (ok && s->step < 3) {
                ++s->step;
            } else {
                f.ok += ok;
                ++done;
                s->step = 0;
                if (next >= codes.size()) {
                    --active;
                    continue;
                }
                code_of[index] = next++;
            }
            prepare(c, *s, codes[code_of[index]]);
            curl_multi_add_handle(multi, s->easy);
        }
        if (active > 0 && api_ == curl_api::perform)
            curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    f.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    f.cpu = cpu_seconds() - cpu_start;
    return f;
}

// With FLOW_BENCH_PERF_CONTROL naming the control fifo of `perf record -D -1 --control
// fifo:PATH`, the profiler samples the measured run alone, not the codes made before it.
class profiler_window {
public:
    profiler_window() { say("enable\n"); }
    ~profiler_window() { close(); }
    profiler_window(const profiler_window&) = delete;
    profiler_window& operator=(const profiler_window&) = delete;
    void close()
    {
        if (open_)
            say("disable\n");
        open_ = false;
    }

private:
    void say(const char* command)
    {
        const char* path = std::getenv("FLOW_BENCH_PERF_CONTROL");
        if (!path)
            return;
        if (std::FILE* f = std::fopen(path, "w")) {
            std::fputs(command, f);
            std::fclose(f);
            open_ = true;
        }
    }
    bool open_ = false;
};

} // namespace

// A runner's figures for one run, the emulator's accepted connections counted around it.
template <class Runner>
figures measured(const running_emulator& e, Runner& runner, int in_flight, const std::vector<std::string>& codes)
{
    auto before = flow_setup::connections_accepted(e);
    auto f = runner.run(in_flight, codes);
    // Both readings count the connection that asked for them; the later one's is not the run's.
    f.connections = static_cast<double>(flow_setup::connections_accepted(e) - before - 1);
    return f;
}

// The client with and without an observer, alternating rounds; the best round of each.
bool metrics_cost(const running_emulator& discord, const std::vector<int>& levels, int flows, int rounds)
{
    bench::counting_observer observed;
    const auto& counted = observed.observer;
    const char* what = observed.what;
    fmt::print("What counting costs a flow (exchange + /users/@me + refresh + revoke): oauth2::client without a\n"
               "metrics observer, and counting into {}; best of {} rounds, alternating.\n\n", what, rounds);
    fmt::print("{:>9} {:>6} | {:>9} {:>9} {:>7} | {:>10} {:>10} {:>7}\n", "in flight", "flows", "off /s", "on /s",
               "on/off", "off CPU", "on CPU", "on/off");
    bool ok = true;
    for (int in_flight : levels) {
        int total = in_flight == 1 ? std::max(1, flows / 4) : flows;
        auto warm = std::max(in_flight, total / 10);
        ours_runner off(discord);
        ours_runner on(discord, counted);
        off.run(in_flight, flow_setup::make_codes(discord, warm));
        on.run(in_flight, flow_setup::make_codes(discord, warm));
        figures best_off, best_on;
        for (int round = 0; round < rounds; ++round) {
            auto a = off.run(in_flight, flow_setup::make_codes(discord, total));
            auto b = on.run(in_flight, flow_setup::make_codes(discord, total));
            ok = ok && a.ok == total && b.ok == total;
            if (round == 0 || a.cpu < best_off.cpu)
                best_off = a;
            if (round == 0 || b.cpu < best_on.cpu)
                best_on = b;
        }
        fmt::print("{:>9} {:>6} | {:>9.0f} {:>9.0f} {:>6.3f}x | {:>8.1f}us {:>8.1f}us {:>6.3f}x\n", in_flight, total,
                   best_off.per_second(), best_on.per_second(), best_on.per_second() / best_off.per_second(),
                   best_off.cpu_us_per_flow(), best_on.cpu_us_per_flow(),
                   best_on.cpu_us_per_flow() / best_off.cpu_us_per_flow());
        std::fflush(stdout);
    }
    return ok;
}

int main(int argc, char** argv)
{
    int flows = 4000;
    int rounds = 3;
    bool tls = false;
    std::vector<int> levels{1, 64, 512};
    std::string only; // "ours", "http", "plain" or "socket": run one alone (for profilers)
    bool cost = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--flows" && i + 1 < argc)
            flows = std::stoi(argv[++i]);
        else if (arg == "--rounds" && i + 1 < argc)
            rounds = std::stoi(argv[++i]);
        else if (arg == "--in-flight" && i + 1 < argc)
            levels = {std::stoi(argv[++i])};
        else if (arg == "--only" && i + 1 < argc)
            only = argv[++i];
        else if (arg == "--tls")
            tls = true;
        else if (arg == "--metrics-cost")
            cost = true;
        else {
            fmt::print(stderr, "usage: {} [--tls] [--flows N] [--rounds R] [--in-flight N] [--only ours|http|plain|socket] "
                               "[--metrics-cost]\n",
                       argv[0]);
            return 2;
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    auto discord = flow_setup::start_emulator(tls);
    if (discord.child.pid < 0) {
        fmt::print(stderr, "the emulator did not start\n");
        return 1;
    }
    if (cost)
        return flow_setup::finish(discord, metrics_cost(discord, levels, flows, rounds));

    fmt::print("The full flow (code exchange + GET /users/@me + refresh + revoke) through oauth2::client and\n"
               "through plain libcurl-multi loops sending the same requests; emulator in a child process{},\n"
               "rate limits off; best of {} rounds, alternating, each client kept from its warm-up run on.\n\n",
               tls ? " over TLS (HTTPS, its self-signed certificate trusted)" : "", rounds);
    fmt::print("'plain': curl_multi_perform + curl_multi_poll. 'socket': the same loop on curl_multi_socket_action\n"
               "over its own epoll set, the API an event-loop library must use. 'http': the same requests through\n"
               "http::client alone (the layer below oauth2::client). Ratios are ours / plain and ours / socket.\n"
               "'connections per 1,000 flows': what the emulator accepted during the best round{}.\n\n",
               tls ? ", each a TLS handshake" : "");
    fmt::print("{:>9} {:>6} | {:^47} | {:^57} | {:^27}\n", "", "", "flows/s", "CPU per flow", "connections/1,000");
    fmt::print("{:>9} {:>6} | {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} | {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} | {:>6} {:>6} {:>6} {:>6}\n",
               "in flight", "flows", "plain", "socket", "http", "ours", "/plain", "/socket", "plain", "socket", "http",
               "ours", "/plain", "/socket", "plain", "socket", "http", "ours");
    bool all_ok = true;
    for (int in_flight : levels) {
        int total = in_flight == 1 ? std::max(1, flows / 4) : flows;
        auto warm = std::max(in_flight, total / 10);
        if (!only.empty()) {
            std::optional<ours_runner> client;
            std::optional<http_runner> layer;
            std::optional<plain_runner> plain;
            if (only == "ours")
                client.emplace(discord);
            else if (only == "http")
                layer.emplace(discord);
            else if (only == "socket")
                plain.emplace(discord, curl_api::socket_action);
            else
                plain.emplace(discord);
            auto mint_start = clock_type::now();
            auto codes = flow_setup::make_codes(discord, total);
            fmt::print("{} codes made in {:.2f} s\n", codes.size(),
                       std::chrono::duration<double>(clock_type::now() - mint_start).count());
            auto run = [&](const std::vector<std::string>& c) {
                return only == "ours" ? client->run(in_flight, c)
                    : only == "http"  ? layer->run(in_flight, c)
                                      : plain->run(in_flight, c);
            };
            run(flow_setup::make_codes(discord, warm));
            profiler_window window;
            auto f = run(codes);
            window.close();
            fmt::print("{} alone, {} in flight: {:.0f} flows/s, {:.1f}us CPU/flow\n", only, in_flight, f.per_second(),
                       f.cpu_us_per_flow());
            continue;
        }
        plain_runner plain(discord);
        plain_runner socket(discord, curl_api::socket_action);
        http_runner layer(discord);
        ours_runner client(discord);
        plain.run(in_flight, flow_setup::make_codes(discord, warm));
        socket.run(in_flight, flow_setup::make_codes(discord, warm));
        layer.run(in_flight, flow_setup::make_codes(discord, warm));
        client.run(in_flight, flow_setup::make_codes(discord, warm));
        figures best_plain, best_socket, best_http, best_ours;
        for (int round = 0; round < rounds; ++round) {
            auto o = measured(discord, client, in_flight, flow_setup::make_codes(discord, total));
            auto p = measured(discord, plain, in_flight, flow_setup::make_codes(discord, total));
            auto k = measured(discord, socket, in_flight, flow_setup::make_codes(discord, total));
            auto h = measured(discord, layer, in_flight, flow_setup::make_codes(discord, total));
            all_ok = all_ok && o.ok == total && p.ok == total && k.ok == total && h.ok == total;
            flow_setup::keep_best(best_ours, o, round);
            flow_setup::keep_best(best_plain, p, round);
            flow_setup::keep_best(best_socket, k, round);
            flow_setup::keep_best(best_http, h, round);
        }
        fmt::print("{:>9} {:>6} | {:>7.0f} {:>7.0f} {:>7.0f} {:>7.0f} {:>6.2f}x {:>6.2f}x | {:>6.1f}us {:>6.1f}us {:>6.1f}us "
                   "{:>6.1f}us {:>6.2f}x {:>6.2f}x | {:>6.1f} {:>6.1f} {:>6.1f} {:>6.1f}\n",
                   in_flight, total, best_plain.per_second(), best_socket.per_second(), best_http.per_second(),
                   best_ours.per_second(), best_ours.per_second() / best_plain.per_second(),
                   best_ours.per_second() / best_socket.per_second(), best_plain.cpu_us_per_flow(),
                   best_socket.cpu_us_per_flow(), best_http.cpu_us_per_flow(), best_ours.cpu_us_per_flow(),
                   best_ours.cpu_us_per_flow() / best_plain.cpu_us_per_flow(),
                   best_ours.cpu_us_per_flow() / best_socket.cpu_us_per_flow(), best_plain.per_thousand_flows(),
                   best_socket.per_thousand_flows(), best_http.per_thousand_flows(), best_ours.per_thousand_flows());
        std::fflush(stdout);
    }
    return flow_setup::finish(discord, all_ok);
}
