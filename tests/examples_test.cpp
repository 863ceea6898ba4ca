// The examples, run against the emulator program as a bot would run against Discord; the test
// plays the person who opens each printed link (Discord's redirect, then the bot's callback).
#include "server/free_port.hpp"
#include "http/client.hpp"
#include "support/process.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <simdjson.h>

#include <csignal>
#include <map>

namespace http = discord::oauth2::http;

namespace {

using discord::oauth2::server::free_port;

struct emulator_program {
    std::string redirect = "http://127.0.0.1:" + std::to_string(free_port()) + "/callback";
    test::child process = test::spawn(EMULATOR_PROGRAM, {"--auto-approve", "--redirect-uri", redirect});
    std::string base;

    emulator_program()
    {
        simdjson::dom::parser p;
        auto doc = p.parse(test::read_line(process.out));
        REQUIRE_FALSE(doc.error());
        base = std::string(std::string_view(doc["url"]));
    }
    ~emulator_program()
    {
        ::kill(process.pid, SIGTERM);
        test::wait_exit(process);
    }
    std::map<std::string, std::string> env() const
    {
        return {{"DISCORD_CLIENT_ID", "159799960412356608"},
                {"DISCORD_CLIENT_SECRET", "emulator-airhorn-client-secret-0123456789"},
                {"DISCORD_REDIRECT_URI", redirect},
                {"DISCORD_API_BASE", base}};
    }
};

// The person: signed in as `user`, opens the link; returns the bot's page status.
int open_link(const std::string& link, const std::string& user)
{
    asio::io_context io;
    http::client browser(io.get_executor());
    int status = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        http::request authorize;
        authorize.url = link + "&emulator_user=" + user;
        auto redirect = co_await browser.send(std::move(authorize));
        http::request callback;
        callback.url = std::string(redirect.fields.find("location").value_or(""));
        status = (co_await browser.send(std::move(callback))).status;
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run();
    return status;
}

struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs an example, opening every "open USER URL" line it prints as USER.
run_result run_example(const std::string& program, const std::vector<std::string>& args, std::size_t links)
{
    emulator_program discord;
    auto c = test::spawn(program, args, discord.env());
    run_result r;
    for (std::size_t opened = 0; opened < links;) {
        auto line = test::read_line(c.out);
        REQUIRE_MESSAGE(!line.empty(), "the example ended before printing all its links");
        r.out += line + "\n";
        if (!line.starts_with("open "))
            continue;
        auto space = line.find(' ', 5);
        CHECK(open_link(line.substr(space + 1), line.substr(5, space - 5)) == 200);
        ++opened;
    }
    r.out += test::read_all(c.out);
    r.err = test::read_all(c.err);
    r.exit_code = test::wait_exit(c);
    return r;
}

} // namespace

TEST_CASE("seed_bot: the seed's /connections command, answered and revoked")
{
    auto r = run_example(SEED_BOT, {"80351110224678912"}, 1);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("Please wait..\nopen 80351110224678912 http"));
    CHECK(r.out.find("5 total connections. First connection username: nellycodes") != std::string::npos);
    CHECK(r.err.find("event: authorization_code_exchanged for 80351110224678912") != std::string::npos);
    CHECK(r.err.find("event: access_token_revoked for 80351110224678912") != std::string::npos);
}

TEST_CASE("linked_roles: role connection metadata written and read back")
{
    auto r = run_example(LINKED_ROLES, {"613425648685547541"}, 1);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("linked 613425648685547541 as nelly_plays on Chess Club with 3 metadata values") != std::string::npos);
    CHECK(r.out.find("Discord holds rating 1850") != std::string::npos);
}

TEST_CASE("sharded: three shards on one server, each callback reaches its own shard")
{
    auto r = run_example(SHARDED, {"80351110224678912", "613425648685547541", "80351110224678912"}, 3);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("shard 0: authorized 80351110224678912") != std::string::npos);
    CHECK(r.out.find("shard 1: authorized 613425648685547541") != std::string::npos);
    CHECK(r.out.find("shard 2: authorized 80351110224678912") != std::string::npos);
}
