// The command line's log lines (tools/cli/log_lines.cpp): a record as JSON and as text, where
// nothing a record carries can start a line of its own or overwrite the record's own keys.
#include "log_lines.hpp"

#include <doctest/doctest.h>

#include <simdjson.h>

#include <array>

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
