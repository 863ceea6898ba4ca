#include "support/example_runner.hpp"

#include "http/client.hpp"
#include "server/free_port.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <simdjson.h>

#include <csignal>
#include <map>

namespace test {

namespace http = discord::oauth2::http;

emulator_program::emulator_program(const std::string& path)
    : redirect("http://127.0.0.1:" + std::to_string(discord::oauth2::server::free_port()) + "/callback")
    , process(spawn(path, {"--auto-approve", "--redirect-uri", redirect}))
{
    simdjson::dom::parser p;
    auto doc = p.parse(read_line(process.out));
    REQUIRE_FALSE(doc.error());
    base = std::string(std::string_view(doc["url"]));
}

emulator_program::~emulator_program()
{
    ::kill(process.pid, SIGTERM);
    wait_exit(process);
}

std::map<std::string, std::string> emulator_program::env() const
{
    return {{"DISCORD_CLIENT_ID", "159799960412356608"},
            {"DISCORD_CLIENT_SECRET", "emulator-airhorn-client-secret-0123456789"},
            {"DISCORD_REDIRECT_URI", redirect},
            {"DISCORD_API_BASE", base},
            {"DISCORD_BOT_TOKEN", "emulator-airhorn-bot-token.0123456789"}};
}

int open_link(const std::string& link, const std::string& user)
{
    asio::io_context io;
    http::client browser(io.get_executor());
    int status = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        // A browser: redirects followed, cookies kept (per host, whatever the port, as browsers
        // keep them), signed in at the emulator as `user`.
        std::map<std::string, std::string> cookies;
        std::string next = link;
        for (int hop = 0; hop < 5; ++hop) {
            http::request r;
            r.url = next;
            if (next.find("/oauth2/authorize") != std::string::npos && next.find("emulator_user=") == std::string::npos)
                r.url += "&emulator_user=" + user;
            std::string jar;
            for (const auto& [name, pair] : cookies)
                jar += (jar.empty() ? "" : "; ") + pair;
            if (!jar.empty())
                r.fields.add("Cookie", jar);
            auto answer = co_await browser.send(std::move(r));
            status = answer.status;
            if (auto set = answer.fields.find("set-cookie")) {
                auto pair = std::string(set->substr(0, set->find(';')));
                cookies[pair.substr(0, pair.find('='))] = pair;
            }
            auto location = answer.fields.find("location");
            if ((status != 302 && status != 303) || !location)
                break;
            next = std::string(*location);
        }
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run();
    return status;
}

run_result run_opening_links(const emulator_program& discord, const std::string& program,
                             const std::vector<std::string>& args, std::size_t links,
                             const std::function<std::optional<link_to_open>(const std::string&)>& link_in)
{
    auto c = spawn(program, args, discord.env());
    run_result r;
    while (r.page_statuses.size() < links) {
        auto line = read_line(c.out);
        if (line.empty()) {
            r.err = read_all(c.err);
            FAIL_CHECK("the program ended before printing all its links: " << r.out << r.err);
            break;
        }
        r.out += line + "\n";
        if (auto link = link_in(line))
            r.page_statuses.push_back(open_link(link->url, link->user));
    }
    r.out += read_all(c.out);
    r.err += read_all(c.err);
    r.exit_code = wait_exit(c);
    return r;
}

} // namespace test
