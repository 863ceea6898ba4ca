// What the tests of `discord-oauth2 serve` share: serve and the emulator as processes (the
// programs' paths come as CLI_PROGRAM and EMULATOR_PROGRAM from tests/meson.build), requests over
// the control interface's Unix socket or TCP port, a person opening a link, and a scratch
// directory for sockets, keys and stores. Included by one test file each: everything is inline.
#pragma once

#include "http/client.hpp"
#include "server/free_port.hpp"
#include "support/process.hpp"
#include "support/run.hpp"

#include <discord/oauth2/client.hpp>

#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <simdjson.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace serve_harness {

namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;
using namespace std::chrono_literals;

inline const std::string nelly = "80351110224678912";
inline const std::string bot_token = "emulator-airhorn-bot-token.0123456789";

struct json_doc {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    explicit json_doc(std::string_view text)
    {
        INFO(text);
        REQUIRE_FALSE(parser.parse(simdjson::padded_string(text)).get(root));
    }
    std::string text(std::string_view key) { return std::string(std::string_view(root[key])); }
};

// A private directory for sockets, keys and stores.
struct scratch {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("serve-test-" + std::to_string(::getpid()));
    scratch() { std::filesystem::create_directories(dir); }
    ~scratch() { std::filesystem::remove_all(dir); }
    std::string file(const std::string& name, const std::string& content, bool private_file = true)
    {
        auto path = (dir / name).string();
        std::ofstream(path) << content;
        ::chmod(path.c_str(), private_file ? 0600 : 0644);
        return path;
    }
};

struct http_answer {
    int status = 0;
    std::string body;
};

// One HTTP/1.1 request over a Unix socket, as `curl --unix-socket` sends it.
inline http_answer unix_request(const std::string& path, const std::string& method, const std::string& target,
                         const std::string& body = {})
{
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    timeval patience{20, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    http_answer a;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        auto request = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                       + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        (void)::write(fd, request.data(), request.size());
        std::string text;
        char buffer[4096];
        for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
            text.append(buffer, static_cast<std::size_t>(n));
        if (text.starts_with("HTTP/1.1 ")) {
            a.status = std::stoi(text.substr(9, 3));
            auto blank = text.find("\r\n\r\n");
            a.body = blank == std::string::npos ? "" : text.substr(blank + 4);
        }
    }
    ::close(fd);
    return a;
}

// One JSON request over TCP, with an Authorization header when `authorization` is not empty.
inline http_answer json_request(const std::string& method, const std::string& url, const std::string& body,
                         const std::string& authorization)
{
    asio::io_context io;
    http::client c(io.get_executor());
    http_answer a;
    test::run(io, [&]() -> asio::awaitable<void> {
        http::request r;
        r.method = method;
        r.url = url;
        r.body = body;
        r.fields.add("Content-Type", "application/json");
        if (!authorization.empty())
            r.fields.add("Authorization", authorization);
        auto answer = co_await c.send(std::move(r));
        a.status = answer.status;
        a.body = std::string(answer.body.view());
    }());
    return a;
}

// The same to the control port, with the control key.
inline http_answer tcp_request(const std::string& base, const std::string& method, const std::string& target,
                        const std::string& body, const std::string& key)
{
    return json_request(method, base + target, body, key.empty() ? "" : "Bearer " + key);
}

// A person opening `link` at the emulator, signed in as `user`, then the redirect to the callback;
// the callback's status, and its page in `page` when given.
inline int open_link(const std::string& link, const std::string& user, std::string* page = nullptr)
{
    asio::io_context io;
    http::client browser(io.get_executor());
    int status = 0;
    test::run(io, [&]() -> asio::awaitable<void> {
        http::request consent;
        consent.url = link + "&emulator_user=" + user;
        auto redirect = co_await browser.send(std::move(consent));
        http::request callback;
        callback.url = std::string(redirect.fields.find("location").value_or(""));
        auto answer = co_await browser.send(std::move(callback));
        status = answer.status;
        if (page)
            *page = std::string(answer.body.view());
    }());
    return status;
}

struct emulator_process {
    test::child process;
    std::string url;
    std::string verify_key;
    explicit emulator_process(const std::vector<std::string>& redirects, const std::vector<std::string>& extra = {})
    {
        std::vector<std::string> args{"--auto-approve", "--no-rate-limits"};
        args.insert(args.end(), extra.begin(), extra.end());
        for (const auto& r : redirects) {
            args.push_back("--redirect-uri");
            args.push_back(r);
        }
        process = test::spawn(EMULATOR_PROGRAM, args);
        json_doc ready(test::read_line(process.out));
        url = ready.text("url");
        verify_key = std::string(std::string_view(ready.root["applications"].at(0)["verify_key"]));
    }
    ~emulator_process()
    {
        ::kill(process.pid, SIGTERM);
        test::wait_exit(process);
    }
    // POST to the emulator's own routes (a PATCH of the application with the bot token too).
    http_answer call(const std::string& method, const std::string& path, const std::string& body, bool as_bot = false)
    {
        return json_request(method, url + path, body, as_bot ? "Bot " + bot_token : "");
    }
    // Sends the application's events to `events_url` (the emulator PINGs it first).
    void subscribe(const std::string& events_url)
    {
        auto answer = call("PATCH", "/api/v10/applications/@me",
                           R"({"event_webhooks_url":")" + events_url
                               + R"(","event_webhooks_status":2,"event_webhooks_types":["APPLICATION_AUTHORIZED","APPLICATION_DEAUTHORIZED"]})",
                           true);
        INFO(answer.body);
        REQUIRE(answer.status == 200);
    }
};

// One serve process and what it printed.
struct serve_process {
    test::child process;
    std::vector<std::string> lines; // every line it printed, the ready line first
    std::string control;

    serve_process(const std::vector<std::string>& args, const std::map<std::string, std::string>& env)
    {
        std::vector<std::string> all{"serve"};
        all.insert(all.end(), args.begin(), args.end());
        process = test::spawn(CLI_PROGRAM, all, env);
        auto ready = test::read_line_within(process.out, 20s);
        INFO("serve said: " << ready << test::read_all(process.err));
        REQUIRE_FALSE(ready.empty());
        lines.push_back(ready);
        json_doc d(ready);
        control = d.text("control");
    }
    ~serve_process() { stop(); }

    // Waits for a line with `"event":"KIND"` (and `user`, when given); the line.
    std::string await_event(const std::string& kind, const std::string& user = {})
    {
        for (const auto& l : lines)
            if (l.find("\"event\":\"" + kind + "\"") != std::string::npos
                && (user.empty() || l.find("\"user_id\":\"" + user + "\"") != std::string::npos))
                return l;
        for (;;) {
            auto line = test::read_line_within(process.out, 20s);
            if (line.empty())
                return {};
            lines.push_back(line);
            if (line.find("\"event\":\"" + kind + "\"") != std::string::npos
                && (user.empty() || line.find("\"user_id\":\"" + user + "\"") != std::string::npos))
                return line;
        }
    }

    // Waits until `count` lines with `"event":"KIND"` for `user` were printed; whether they were.
    bool await_events(const std::string& kind, const std::string& user, std::size_t count)
    {
        auto matches = [&] {
            return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
                return l.find("\"event\":\"" + kind + "\"") != std::string::npos
                    && l.find("\"user_id\":\"" + user + "\"") != std::string::npos;
            }));
        };
        while (matches() < count) {
            auto line = test::read_line_within(process.out, 20s);
            if (line.empty())
                return false;
            lines.push_back(line);
        }
        return true;
    }

    // SIGHUP, and the keys_reloaded line it prints (after any error lines).
    std::string reload_keys()
    {
        ::kill(process.pid, SIGHUP);
        auto before = lines.size();
        for (;;) {
            auto line = test::read_line_within(process.out, 20s);
            if (line.empty())
                return {};
            lines.push_back(line);
            if (line.find("\"event\":\"keys_reloaded\"") != std::string::npos && lines.size() > before)
                return line;
        }
    }

    int stop()
    {
        if (process.pid < 0)
            return exit_code;
        ::kill(process.pid, SIGTERM);
        for (std::string rest = test::read_all(process.out); !rest.empty();) {
            auto nl = rest.find('\n');
            lines.push_back(rest.substr(0, nl));
            rest = nl == std::string::npos ? "" : rest.substr(nl + 1);
        }
        exit_code = test::wait_exit(process);
        process.pid = -1;
        return exit_code;
    }
    int exit_code = -1;
};

inline std::map<std::string, std::string> environment(const emulator_process& discord, const std::string& redirect)
{
    return {{"DISCORD_CLIENT_ID", "159799960412356608"},
            {"DISCORD_CLIENT_SECRET", "emulator-airhorn-client-secret-0123456789"},
            {"DISCORD_REDIRECT_URI", redirect},
            {"DISCORD_API_BASE", discord.url},
            {"DISCORD_PUBLIC_KEY", discord.verify_key}};
}

inline std::string port_url(std::uint16_t port, const std::string& path)
{
    return "http://127.0.0.1:" + std::to_string(port) + path;
}

} // namespace serve_harness
