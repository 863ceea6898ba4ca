// The discord-oauth2-emulator program: flags, the ready line, and clear errors for bad flags.
#include "support/process.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

struct run_result {
    int exit_code = -1;
    std::string first_line; // stdout's first line
    std::string errors;     // stderr
};

// Runs the program; when it prints a line on stdout (ready), stops it with SIGTERM.
run_result run(const std::vector<std::string>& args)
{
    auto c = test::spawn(EMULATOR_PROGRAM, args);
    run_result r;
    r.first_line = test::read_line(c.out);
    if (!r.first_line.empty())
        ::kill(c.pid, SIGTERM);
    r.errors = test::read_all(c.err);
    r.exit_code = test::wait_exit(c);
    return r;
}

} // namespace

TEST_CASE("with no flags it serves the default world on a free port and stops cleanly on SIGTERM")
{
    auto r = run({});
    CHECK(r.exit_code == 0);
    CHECK(r.first_line.starts_with(R"({"url":"http://127.0.0.1:)"));
    CHECK(r.first_line.find(R"("ca_file":null)") != std::string::npos);
    CHECK(r.first_line.find(R"("client_id":"159799960412356608")") != std::string::npos);
    CHECK(r.first_line.find(R"("verify_key":")") != std::string::npos); // each application's public key
}

TEST_CASE("--seed, --tls, --tls-dir and the lifetimes are honoured")
{
    auto dir = std::filesystem::temp_directory_path() / ("emulator-program-" + std::to_string(::getpid()));
    auto r = run({"--seed", EMULATOR_SOURCE_DIR "/example-seed.json", "--tls", "--tls-dir", dir.string(),
                  "--code-ttl", "5", "--token-ttl", "60", "--auto-approve=100000000000000002", "--no-rate-limits",
                  "--fault", "POST /oauth2/token latency=10"});
    CHECK(r.exit_code == 0);
    CHECK(r.first_line.starts_with(R"({"url":"https://127.0.0.1:)"));
    CHECK(r.first_line.find("\"ca_file\":\"" + (dir / "cert.pem").string() + "\"") != std::string::npos);
    CHECK(r.first_line.find(R"("client_id":"300000000000000001")") != std::string::npos);
    CHECK(std::filesystem::exists(dir / "key.pem"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("bad flags fail with exit code 2 and say why")
{
    struct bad_flags {
        std::vector<std::string> args;
        const char* says;
    };
    const bad_flags cases[] = {
        {{"--port", "70000"}, "--port needs a whole number from 0 to 65535"},
        {{"--port"}, "--port needs a value"},
        {{"--code-ttl", "soon"}, "--code-ttl needs a whole number"},
        {{"--auto-approve=nelly"}, "--auto-approve= needs a user id"},
        {{"--fault", "GET / explode"}, "unknown kind 'explode'"},
        {{"--seed", "/nonexistent.json"}, "cannot read '/nonexistent.json'"},
        {{"--frobnicate"}, "unknown option '--frobnicate'"},
        {{"--event-webhook", "ftp://127.0.0.1/events"}, "--event-webhook needs an http:// or https:// URL"},
        {{"--event-webhook", "999=http://127.0.0.1:1/events"}, "--event-webhook: no application has client id 999"},
        {{"--event-webhook", "x=http://127.0.0.1:1/events"}, "'x' is not a client id"},
        {{"--bad-ping-probability", "2"}, "--bad-ping-probability needs a number from 0 to 1"},
        {{"--event-retry-for", "-1"}, "--event-retry-for needs a whole number"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.says);
        auto r = run(c.args);
        CHECK(r.exit_code == 2);
        CHECK(r.first_line.empty());
        CHECK(r.errors.find(c.says) != std::string::npos);
        CHECK(r.errors.find("usage:") != std::string::npos);
    }
    auto unknown_user = run({"--auto-approve=42"});
    CHECK(unknown_user.exit_code == 1);
    CHECK(unknown_user.errors.find("auto-approve user 42 is not in the seed") != std::string::npos);
    auto busy = run({"--host", "not-an-address"});
    CHECK(busy.exit_code == 1);
    CHECK(busy.errors.find("not-an-address") != std::string::npos);
}
