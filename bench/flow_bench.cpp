// The full OAuth2 flow through discord::oauth2::client (code exchange, GET /users/@me, refresh,
// revoke) against the emulator, side by side in the same run with a plain libcurl-multi loop
// that sends the same four requests and reads the same fields. The emulator runs in a child
// process (rate limits off), so the CPU figures are the client's alone. Codes are made before
// each measured run, by the emulator's auto-approving consent page, outside the measurement.
//
//   flow_bench [--flows N] [--rounds R] [--in-flight N] [--only ours|http|plain]
#include "child_process.hpp"
#include "emulator_child.hpp"
#include "emulator.hpp"
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

#include <chrono>
#include <string>
#include <vector>

namespace em = discord::oauth2::emulator;
namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
namespace url = discord::oauth2::url;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string client_id = "159799960412356608";
const std::string client_secret = "emulator-airhorn-client-secret-0123456789";
const std::string redirect = "http://127.0.0.1:53134/callback";

em::options bench_options()
{
    em::options o;
    o.rate_limits.enabled = false;
    o.auto_approve = true;
    o.code_ttl = std::chrono::seconds(3600);
    o.limits.max_connections = 8192;
    return o;
}

// `count` fresh codes, through the consent page as a browser would follow it.
std::vector<std::string> make_codes(const std::string& base, int count)
{
    asio::io_context io(1);
    http::client browser(io.get_executor());
    std::vector<std::string> codes;
    const auto link = base + "/oauth2/authorize?client_id=" + client_id
        + "&response_type=code&scope=identify&state=s&redirect_uri=" + url::percent_encode(redirect);
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

struct figures {
    double seconds = 0;
    double cpu = 0;
    int ok = 0;
    int total = 0;
    double per_second() const { return total / seconds; }
    double cpu_us_per_flow() const { return cpu * 1e6 / total; }
};

figures ours(const std::string& base, int in_flight, const std::vector<std::string>& codes)
{
    figures f;
    f.total = static_cast<int>(codes.size());
    asio::io_context io(1);
    oauth2::client_config config;
    config.client_id = oauth2::snowflake(159799960412356608ULL);
    config.client_secret = oauth2::secret(client_secret);
    config.redirect_uri = redirect;
    config.endpoints = oauth2::endpoints::under(base);
    oauth2::client client(io.get_executor(), config);
    std::size_t next = 0;
    int done = 0;
    auto start = clock_type::now();
    double cpu_start = cpu_seconds();
    for (int i = 0; i < std::min(in_flight, f.total); ++i)
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (next < codes.size()) {
                const auto& code = codes[next++];
                auto token = co_await client.exchange_code(code);
                auto me = co_await client.get_current_user(token);
                auto refreshed = co_await client.refresh(*token.refresh_token);
                co_await client.revoke(refreshed.token);
                f.ok += me.id == oauth2::snowflake(80351110224678912ULL);
                ++done;
            }
        }, [&](std::exception_ptr e) {
            if (e)
                io.stop(); // a failed flow shows as ok < total
        });
    while (done < f.total && !io.stopped())
        io.run_one();
    f.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    f.cpu = cpu_seconds() - cpu_start;
    return f;
}

// The same four requests through http::client alone, read as the plain loop reads them: what
// the layer below oauth2::client costs, to tell the two layers' shares apart.
figures http_layer(const std::string& base, int in_flight, const std::vector<std::string>& codes)
{
    figures f;
    f.total = static_cast<int>(codes.size());
    asio::io_context io(1);
    http::client client(io.get_executor());
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

figures plain_loop(const std::string& base, int in_flight, const std::vector<std::string>& codes)
{
    figures f;
    f.total = static_cast<int>(codes.size());
    plain_context c;
    c.token_url = base + "/api/v10/oauth2/token";
    c.revoke_url = base + "/api/v10/oauth2/token/revoke";
    c.me_url = base + "/api/v10/users/@me";
    c.basic = "Authorization: Basic " + oauth2::base64::encode(client_id + ":" + client_secret);
    c.redirect_param = "&redirect_uri=" + url::percent_encode(redirect);

    CURLM* multi = curl_multi_init();
    std::vector<flow_slot> slots(static_cast<std::size_t>(std::min(in_flight, f.total)));
    std::vector<std::size_t> code_of(slots.size());
    std::size_t next = 0;
    auto start = clock_type::now();
    double cpu_start = cpu_seconds();
    for (std::size_t i = 0; i < slots.size(); ++i) {
        auto& s = slots[i];
        s.easy = curl_easy_init();
        curl_easy_setopt(s.easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, &collect);
        curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s.body);
        curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
        curl_easy_setopt(s.easy, CURLOPT_PROXY, "");
        curl_easy_setopt(s.easy, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(s.easy, CURLOPT_USERAGENT, c.user_agent.c_str());
        curl_easy_setopt(s.easy, CURLOPT_ACCEPT_ENCODING, "");
        code_of[i] = next++;
        prepare(c, s, codes[code_of[i]]);
        curl_multi_add_handle(multi, s.easy);
    }
    int done = 0;
    int active = static_cast<int>(slots.size());
    while (active > 0) {
        int running = 0;
        curl_multi_perform(multi, &running);
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            flow_slot* s = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &s);
            long status = 0;
            curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle(multi, s->easy);
            auto index = static_cast<std::size_t>(s - slots.data());
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
        if (active > 0)
            curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    f.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    f.cpu = cpu_seconds() - cpu_start;
    for (auto& s : slots) {
        curl_slist_free_all(s.headers);
        curl_easy_cleanup(s.easy);
    }
    curl_multi_cleanup(multi);
    return f;
}

} // namespace

int main(int argc, char** argv)
{
    int flows = 4000;
    int rounds = 3;
    std::vector<int> levels{1, 64, 512};
    std::string only; // "ours" or "plain": run one alone (for profilers)
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
        else {
            fmt::print(stderr, "usage: {} [--flows N] [--rounds R] [--in-flight N] [--only ours|http|plain]\n", argv[0]);
            return 2;
        }
    }
    auto child = start_child([](int fd) { return serve_emulator(fd, bench_options()); });
    if (child.pid < 0) {
        fmt::print(stderr, "the emulator did not start\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const auto base = child.ready_line;

    fmt::print("The full flow (code exchange + GET /users/@me + refresh + revoke) through oauth2::client and\n"
               "through a plain libcurl-multi loop sending the same requests; emulator in a child process,\n"
               "rate limits off; best of {} rounds, alternating.\n\n", rounds);
    fmt::print("'http' sends the same requests through http::client alone (the layer below), for reference.\n\n");
    fmt::print("{:>9} {:>6} | {:^35} | {:^38}\n", "", "", "flows/s", "CPU per flow");
    fmt::print("{:>9} {:>6} | {:>8} {:>8} {:>8} {:>7} | {:>9} {:>9} {:>9} {:>7}\n", "in flight", "flows", "plain", "http",
               "ours", "ratio", "plain", "http", "ours", "ratio");
    bool all_ok = true;
    for (int in_flight : levels) {
        int total = in_flight == 1 ? std::max(1, flows / 4) : flows;
        if (!only.empty()) {
            auto mint_start = clock_type::now();
            auto codes = make_codes(base, total);
            fmt::print("{} codes made in {:.2f} s\n", codes.size(),
                       std::chrono::duration<double>(clock_type::now() - mint_start).count());
            auto f = only == "ours" ? ours(base, in_flight, codes)
                : only == "http"    ? http_layer(base, in_flight, codes)
                                    : plain_loop(base, in_flight, codes);
            fmt::print("{} alone, {} in flight: {:.0f} flows/s, {:.1f}us CPU/flow\n", only, in_flight, f.per_second(),
                       f.cpu_us_per_flow());
            continue;
        }
        auto warm = std::max(in_flight, total / 10);
        plain_loop(base, in_flight, make_codes(base, warm));
        http_layer(base, in_flight, make_codes(base, warm));
        ours(base, in_flight, make_codes(base, warm));
        figures best_plain, best_http, best_ours;
        auto keep_best = [](figures& best, const figures& f, int round) {
            if (round == 0 || f.per_second() > best.per_second())
                best = f;
        };
        for (int round = 0; round < rounds; ++round) {
            auto o = ours(base, in_flight, make_codes(base, total));
            auto p = plain_loop(base, in_flight, make_codes(base, total));
            auto h = http_layer(base, in_flight, make_codes(base, total));
            all_ok = all_ok && o.ok == total && p.ok == total && h.ok == total;
            keep_best(best_ours, o, round);
            keep_best(best_plain, p, round);
            keep_best(best_http, h, round);
        }
        fmt::print("{:>9} {:>6} | {:>8.0f} {:>8.0f} {:>8.0f} {:>6.2f}x | {:>7.1f}us {:>7.1f}us {:>7.1f}us {:>6.2f}x\n",
                   in_flight, total, best_plain.per_second(), best_http.per_second(), best_ours.per_second(),
                   best_ours.per_second() / best_plain.per_second(), best_plain.cpu_us_per_flow(),
                   best_http.cpu_us_per_flow(), best_ours.cpu_us_per_flow(),
                   best_ours.cpu_us_per_flow() / best_plain.cpu_us_per_flow());
        std::fflush(stdout);
    }
    stop_child(child);
    if (!all_ok) {
        fmt::print(stderr, "some flows failed\n");
        return 1;
    }
    return 0;
}
