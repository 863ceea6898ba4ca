// serve's operator endpoint (--metrics) and its logs (--log-format json), checked by the real
// tools: promtool reads /metrics after a whole flow (link, callback, token, refresh,
// revocation), a real Prometheus server scrapes serve through the same flow and answers for it
// on its HTTP API, and /readyz follows a PostgreSQL store that stops and starts again.
#include "core/url_encoding.hpp"
#include "support/postgres_cluster.hpp"
#include "support/serve_harness.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <thread>

using namespace serve_harness;

namespace {

const char* promtool = PROMTOOL_PROGRAM;
const char* prometheus = PROMETHEUS_PROGRAM;

std::string tool_or_fail(const char* path, const char* name)
{
    INFO(name << " is missing: it comes with Debian's prometheus package (scripts/test installs it)");
    REQUIRE(std::string(path) != "");
    return path;
}

http_answer get(const std::string& url)
{
    return json_request("GET", url, "", "");
}

// The value of one series in Prometheus' text format ("name{labels} value"), or -1.
double sample(const std::string& text, const std::string& series)
{
    auto at = text.find("\n" + series + " ");
    if (at == std::string::npos)
        return -1;
    auto start = at + 1 + series.size() + 1;
    return std::stod(text.substr(start, text.find('\n', start) - start));
}

// Runs promtool `args` on `input`: its exit code and what it said.
test::program_result run_promtool(const std::vector<std::string>& args, const std::string& input)
{
    auto c = test::spawn_with_input(tool_or_fail(promtool, "promtool"), args);
    (void)::write(c.in, input.data(), input.size());
    ::close(c.in);
    c.in = -1;
    test::program_result r;
    r.out = test::read_all(c.out);
    r.err = test::read_all(c.err);
    r.exit_code = test::wait_exit(c);
    return r;
}

struct flow_setup {
    scratch s;
    std::uint16_t web_port = oauth2::server::free_port();
    std::uint16_t metrics_port = oauth2::server::free_port();
    std::string redirect = port_url(web_port, "/callback");
    // Tokens that live less than the refresher's margin: every token asked for is refreshed.
    emulator_process discord{{redirect}, {"--token-ttl", "1800"}};
    std::string socket = (s.dir / "control.sock").string();
    std::map<std::string, std::string> env = environment(discord, redirect);
    std::string metrics_url(const std::string& path) const { return port_url(metrics_port, path); }

    // Link, consent, callback, a refreshed token, revocation: what an operator wants counted.
    std::string run_flow(serve_process& serve)
    {
        auto link = unix_request(socket, "POST", "/link", R"({"user_id":")" + nelly + R"("})");
        REQUIRE(link.status == 200);
        CHECK(open_link(json_doc(link.body).text("url"), nelly) == 200);
        REQUIRE_FALSE(serve.await_event("authorization_code_exchanged", nelly).empty());
        auto token = unix_request(socket, "GET", "/grants/" + nelly + "/token");
        REQUIRE(token.status == 200);
        REQUIRE_FALSE(serve.await_event("access_token_refreshed", nelly).empty());
        auto access = json_doc(token.body).text("access_token");
        CHECK(unix_request(socket, "DELETE", "/grants/" + nelly).status == 200);
        return access;
    }
};

} // namespace

TEST_CASE("serve --metrics: /healthz, /readyz, and /metrics after a whole flow pass promtool; JSON logs hold no secret")
{
    flow_setup f;
    f.env["DISCORD_STORE"] = "sqlite:" + (f.s.dir / "grants.db").string();
    f.env["DISCORD_STORE_KEY_FILE"] = f.s.file("store.key", std::string(64, 'c') + "\n");
    serve_process serve({"--control", "unix:" + f.socket, "--metrics", "127.0.0.1:" + std::to_string(f.metrics_port),
                         "--log-format", "json", "--log-level", "debug"},
                        f.env);
    CHECK(json_doc(serve.lines.front()).text("metrics_url") == f.metrics_url("/metrics"));

    CHECK(get(f.metrics_url("/healthz")).status == 200);
    auto ready = get(f.metrics_url("/readyz"));
    CHECK(ready.status == 200);
    CHECK(ready.body == R"({"ready":true})");
    // Before anything happened, the series alerted on exist already, at 0.
    auto empty = get(f.metrics_url("/metrics")).body;
    CHECK(sample(empty, R"(discord_oauth2_callbacks_total{outcome="failed"})") == 0);
    CHECK(sample(empty, "discord_oauth2_store_up") == 1);

    auto access = f.run_flow(serve);
    auto metrics = get(f.metrics_url("/metrics"));
    REQUIRE(metrics.status == 200);
    INFO(metrics.body);
    auto checked = run_promtool({"check", "metrics"}, metrics.body);
    INFO(checked.out << checked.err);
    CHECK(checked.exit_code == 0);
    CHECK(sample(metrics.body, "discord_oauth2_links_created_total") == 1);
    CHECK(sample(metrics.body, R"(discord_oauth2_callbacks_total{outcome="authorized"})") == 1);
    CHECK(sample(metrics.body, R"(discord_oauth2_refreshes_total{outcome="refreshed"})") >= 1);
    CHECK(sample(metrics.body, "discord_oauth2_links_pending") == 0);
    CHECK(sample(metrics.body, "discord_oauth2_waiters") == 0);
    CHECK(sample(metrics.body, "discord_oauth2_grants") == 0); // revoked
    CHECK(sample(metrics.body, R"(discord_oauth2_callbacks_total{outcome="code_refused"})") == 0);
    CHECK(sample(metrics.body,
                 R"x(discord_oauth2_requests_total{route="POST /oauth2/token (authorization_code)",status="200"})x")
          == 1);
    CHECK(sample(metrics.body, R"(discord_oauth2_requests_total{route="POST /oauth2/token/revoke",status="200"})") == 1);
    CHECK(metrics.body.find(nelly) == std::string::npos);
    CHECK(metrics.body.find(access) == std::string::npos);

    // Every line on stderr is one JSON record; the requests are there, with their fields. Read to
    // its end (the process gone) before stop() closes the pipes.
    ::kill(serve.process.pid, SIGTERM);
    auto logged = test::read_all(serve.process.err);
    CHECK(serve.stop() == 0);
    CHECK(logged.find(access) == std::string::npos);
    CHECK(logged.find("emulator-airhorn-client-secret") == std::string::npos);
    int records = 0;
    for (std::size_t at = 0; at < logged.size();) {
        auto nl = logged.find('\n', at);
        auto line = logged.substr(at, nl - at);
        at = nl == std::string::npos ? logged.size() : nl + 1;
        if (line.empty())
            continue;
        json_doc record(line);
        CHECK_FALSE(record.text("time").empty());
        CHECK_FALSE(record.text("level").empty());
        if (line.find(R"x("route":"POST /oauth2/token (authorization_code)")x") != std::string::npos
            && line.find(R"("status":200)") != std::string::npos)
            ++records;
    }
    CHECK(records == 1);
}

TEST_CASE("serve --metrics without --store: the grants in memory are the store /readyz and /metrics ask")
{
    flow_setup f;
    serve_process serve({"--control", "unix:" + f.socket, "--metrics", std::to_string(f.metrics_port)}, f.env);
    CHECK(json_doc(serve.lines.front()).text("metrics_url") == f.metrics_url("/metrics"));
    auto ready = get(f.metrics_url("/readyz"));
    CHECK(ready.status == 200);
    auto link = unix_request(f.socket, "POST", "/link", R"({"user_id":")" + nelly + R"("})");
    REQUIRE(link.status == 200);
    CHECK(open_link(json_doc(link.body).text("url"), nelly) == 200);
    REQUIRE_FALSE(serve.await_event("authorization_code_exchanged", nelly).empty());
    std::this_thread::sleep_for(1100ms); // past the second a check is reused for
    auto metrics = get(f.metrics_url("/metrics"));
    CHECK(metrics.status == 200);
    CHECK(sample(metrics.body, "discord_oauth2_grants") == 1);
    CHECK(sample(metrics.body, "discord_oauth2_store_up") == 1);
    auto alive = get(f.metrics_url("/healthz"));
    CHECK(alive.status == 200);
    CHECK(alive.body == R"({"status":"ok"})");
    CHECK(serve.stop() == 0);
}

TEST_CASE("serve --metrics and --log-format refuse what they cannot take")
{
    flow_setup f;
    for (const auto& bad : std::vector<std::vector<std::string>>{{"--metrics", "localhost:9464"},
                                                                  {"--metrics", "127.0.0.1:99999"},
                                                                  {"--metrics", "127.0.0.1:"},
                                                                  {"--log-format", "xml"},
                                                                  {"--log-level", "loud"}}) {
        std::vector<std::string> args{"serve"};
        args.insert(args.end(), bad.begin(), bad.end());
        auto r = test::run_program(CLI_PROGRAM, args, f.env);
        INFO(bad[0] << " " << bad[1] << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(bad[0]) != std::string::npos);
    }
}

TEST_CASE("a real Prometheus server scrapes serve through a whole flow and answers for it")
{
    flow_setup f;
    f.env["DISCORD_STORE"] = "sqlite:" + (f.s.dir / "grants.db").string();
    f.env["DISCORD_STORE_KEY_FILE"] = f.s.file("store.key", std::string(64, 'c') + "\n");
    serve_process serve({"--control", "unix:" + f.socket, "--metrics", "127.0.0.1:" + std::to_string(f.metrics_port)},
                        f.env);
    auto prometheus_port = oauth2::server::free_port();
    auto config = f.s.file("prometheus.yml", fmt::format("global:\n  scrape_interval: 1s\n"
                                                         "scrape_configs:\n  - job_name: discord-oauth2\n"
                                                         "    static_configs:\n      - targets: ['127.0.0.1:{}']\n",
                                                         f.metrics_port));
    auto server = test::spawn(tool_or_fail(prometheus, "prometheus"),
                              {"--config.file=" + config, "--storage.tsdb.path=" + (f.s.dir / "tsdb").string(),
                               "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)});
    struct stop_server {
        test::child& c;
        ~stop_server()
        {
            ::kill(c.pid, SIGTERM);
            test::wait_exit(c);
        }
    } stops{server};

    f.run_flow(serve);
    // The value Prometheus holds for `query`, once it has scraped what the flow did (-1: never).
    auto value_of = [&](const std::string& query) {
        for (int i = 0; i < 150; ++i) {
            auto url = port_url(prometheus_port, "/api/v1/query?query=" + oauth2::url::percent_encode(query));
            http_answer answer;
            try {
                answer = json_request("GET", url, "", "");
            } catch (const oauth2::error&) {
                // Prometheus is still starting: not listening yet.
            }
            if (answer.status == 200 && answer.body.find("\"result\":[{") != std::string::npos) {
                json_doc d(answer.body);
                auto v = std::string(std::string_view(d.root["data"]["result"].at(0)["value"].at(1)));
                if (std::stod(v) > 0)
                    return std::stod(v);
            }
            std::this_thread::sleep_for(200ms);
        }
        return -1.0;
    };
    CHECK(value_of(R"(discord_oauth2_callbacks_total{outcome="authorized"})") == 1);
    CHECK(value_of(R"(sum(discord_oauth2_refreshes_total{outcome="refreshed"}))") >= 1);
    CHECK(value_of(R"(up{job="discord-oauth2"})") == 1);
    CHECK(serve.stop() == 0);
}

TEST_CASE("serve over PostgreSQL: /readyz is 503 while the database is down, and 200 again once it is back")
{
    flow_setup f;
    test::postgres_cluster db;
    f.env["DISCORD_STORE"] = db.url();
    f.env["DISCORD_STORE_KEY_FILE"] = f.s.file("store.key", std::string(64, 'd') + "\n");
    f.env["DISCORD_STATE_KEY_FILE"] = f.s.file("state.key", std::string(64, 'e') + "\n");
    serve_process serve({"--control", "unix:" + f.socket, "--metrics", "127.0.0.1:" + std::to_string(f.metrics_port)},
                        f.env);
    CHECK(get(f.metrics_url("/readyz")).status == 200);

    db.stop();
    std::this_thread::sleep_for(1100ms); // past the second a check is reused for
    auto down = get(f.metrics_url("/readyz"));
    CHECK(down.status == 503);
    CHECK(down.body.find("the token store does not answer") != std::string::npos);
    CHECK(get(f.metrics_url("/healthz")).status == 200); // alive: a restart would not help
    CHECK(sample(get(f.metrics_url("/metrics")).body, "discord_oauth2_store_up") == 0);

    db.start();
    int status = 0;
    for (int i = 0; i < 150 && status != 200; ++i) {
        status = get(f.metrics_url("/readyz")).status;
        if (status != 200)
            std::this_thread::sleep_for(200ms);
    }
    CHECK(status == 200);
    CHECK(sample(get(f.metrics_url("/metrics")).body, "discord_oauth2_store_up") == 1);
    CHECK(serve.stop() == 0);
}
