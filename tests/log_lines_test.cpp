// The command line's log lines (tools/cli/log_lines.cpp): a record as JSON and as text, where
// nothing a record carries can start a line of its own or overwrite the record's own keys.
#include "log_lines.hpp"

#include <doctest/doctest.h>

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <thread>

#include <unistd.h>

namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

TEST_CASE("a record as one JSON line: time with milliseconds, level, message, then its fields as values")
{
    std::array<oauth2::log_field, 4> fields{{{"route", std::string_view("GET /users/@me")},
                                             {"status", std::int64_t(429)},
                                             {"duration_ms", 12.5},
                                             {"message", std::string_view("a field may not replace the message")}}};
    oauth2::log_record record{oauth2::log_level::warning, "GET /users/@me: 429\n{\"level\":\"error\"}", fields};
    auto line = cli::log_line_json(record, std::chrono::system_clock::time_point(1'765'000'000'123ms));
    INFO(line);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.starts_with(R"({"time":"2025-12-06T05:46:40.123Z","level":"warning","message":"GET /users/@me: 429\n)"));
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    REQUIRE_FALSE(parser.parse(simdjson::padded_string(line)).get(root));
    CHECK(std::string_view(root["level"]) == "warning");
    CHECK(std::string_view(root["message"]) == "GET /users/@me: 429\n{\"level\":\"error\"}");
    CHECK(std::string_view(root["route"]) == "GET /users/@me");
    CHECK(std::int64_t(root["status"]) == 429);
    CHECK(double(root["duration_ms"]) == 12.5);
    CHECK(std::string_view(root["field_message"]) == "a field may not replace the message");
}

TEST_CASE("a record as text: its level, then the sentence, control characters shown, never a new line")
{
    oauth2::log_record record{oauth2::log_level::error, "not sending\r\nerror: a forged line\x1b[2J", {}};
    auto line = cli::log_line_text(record);
    CHECK(line == "error: not sending\\x0d\\x0aerror: a forged line\\x1b[2J");
}

TEST_CASE("a log reader that stops reading costs log lines, counted, never the thread that logs")
{
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto logger = cli::log_writer(fds[1], true, oauth2::log_level::info);
    const std::string long_text(400, 'x');
    std::array<oauth2::log_field, 1> fields{{{"route", std::string_view("GET /users/@me")}}};
    // About 10 MB while nobody reads: far past the pipe (64 KiB) and the queue (256 KiB). A
    // logger that wrote on this thread would block here for good (the suite's timeout).
    for (int i = 0; i < 20'000; ++i)
        logger(oauth2::log_record{oauth2::log_level::warning, long_text, fields});
    logger(oauth2::log_record{oauth2::log_level::debug, "below the level: never written", {}});

    std::string read;
    std::thread reader([&] {
        char buffer[65536];
        for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
            read.append(buffer, static_cast<std::size_t>(n));
    });
    std::this_thread::sleep_for(200ms); // the queue drains into the reader
    logger(oauth2::log_record{oauth2::log_level::error, "the reader is back", {}});
    logger = nullptr; // the queue's last lines out, its thread gone
    ::close(fds[1]);
    reader.join();
    ::close(fds[0]);

    auto lines = std::count(read.begin(), read.end(), '\n');
    CHECK(lines > 100);
    CHECK(lines < 20'000);
    auto notice = read.find(R"("message":"log lines were dropped: stderr was not read","dropped":)");
    REQUIRE(notice != std::string::npos);
    CHECK(read.find("the reader is back", notice) != std::string::npos);
    CHECK(read.find("below the level") == std::string::npos);
}
