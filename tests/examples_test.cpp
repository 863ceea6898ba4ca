// The examples, run against the emulator program as a bot would run against Discord; the test
// plays the person who opens each printed link (Discord's redirect, then the bot's callback).
#include "support/example_runner.hpp"

#include <doctest/doctest.h>

namespace {

using test::run_result;

// Runs an example, opening every "open USER URL" line it prints as USER; each page must be 200.
run_result run_example(const std::string& program, const std::vector<std::string>& args, std::size_t links)
{
    test::emulator_program discord(EMULATOR_PROGRAM);
    auto r = test::run_opening_links(discord, program, args, links, [](const std::string& line) {
        std::optional<test::link_to_open> link;
        if (line.starts_with("open ")) {
            auto space = line.find(' ', 5);
            link = test::link_to_open{line.substr(space + 1), line.substr(5, space - 5)};
        }
        return link;
    });
    for (auto status : r.page_statuses)
        CHECK(status == 200);
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

TEST_CASE("serve_bot.py: the seed's scenario from Python through discord-oauth2 serve")
{
    auto r = run_example(PYTHON3, {SERVE_BOT_PY, "80351110224678912", CLI_PROGRAM}, 1);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("Please wait..\nopen 80351110224678912 http"));
    CHECK(r.out.find("5 total connections. First connection username: nellycodes") != std::string::npos);
    CHECK(r.out.find("revocation: revoked") != std::string::npos);
}

#ifdef BOOST_BOT // built where Boost is found; the test command always has it
TEST_CASE("boost_bot: the same command as a boost::asio::awaitable, answered and revoked")
{
    auto r = run_example(BOOST_BOT, {"80351110224678912"}, 1);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("Please wait..\nopen 80351110224678912 http"));
    CHECK(r.out.find("5 total connections. First connection username: nellycodes") != std::string::npos);
}
#endif

TEST_CASE("linked_roles: metadata registered, the verification URL opened by a person, their standing pushed")
{
    test::emulator_program discord(EMULATOR_PROGRAM);
    auto r = test::run_opening_links(discord, LINKED_ROLES, {"--once"}, 1, [](const std::string& line) {
        std::optional<test::link_to_open> link;
        if (line.starts_with("verification URL "))
            link = test::link_to_open{line.substr(17), "80351110224678912"}; // nelly opens it
        return link;
    });
    INFO(r.out << r.err);
    REQUIRE(r.page_statuses.size() == 1);
    CHECK(r.page_statuses[0] == 200);
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("registered 3 metadata records\nverification URL http://127.0.0.1:"));
    CHECK(r.out.find("/linked-role\n") != std::string::npos);
    CHECK(r.out.find("linked 80351110224678912 as nelly_plays on Chess Club, rating 1850") != std::string::npos);
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
