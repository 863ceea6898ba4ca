#include "server/request_parser.hpp"
#include "support/request_table.hpp"

#include <doctest/doctest.h>

using discord::oauth2::server::request_parser;
using result = request_parser::result;

namespace {

struct outcome {
    result r;
    int status;
    std::size_t consumed;
};

outcome parse_whole(const std::string& bytes)
{
    request_parser p;
    std::size_t consumed = 0;
    auto r = p.feed(bytes, consumed);
    return {r, p.error_status(), consumed};
}

// The same bytes one at a time must give the same answer: the parser keeps no assumption
// about how TCP splits a request.
outcome parse_bytewise(const std::string& bytes)
{
    request_parser p;
    std::size_t total = 0;
    for (char c : bytes) {
        std::size_t consumed = 0;
        auto r = p.feed(std::string_view(&c, 1), consumed);
        total += consumed;
        if (r != result::need_more)
            return {r, p.error_status(), total};
    }
    return {result::need_more, 0, total};
}

} // namespace

TEST_CASE("every request of the table gets its expected outcome, whole and byte by byte")
{
    for (const auto& c : test::request_table()) {
        CAPTURE(c.name);
        bool routed = c.status == 200 || c.status == 404 || c.status == 405;
        auto whole = parse_whole(c.bytes);
        auto bytewise = parse_bytewise(c.bytes);
        if (routed) {
            CHECK(whole.r == result::complete);
            CHECK(whole.consumed == c.bytes.size());
        } else {
            CHECK(whole.r == result::error);
            CHECK(whole.status == c.status);
        }
        CHECK(bytewise.r == whole.r);
        CHECK(bytewise.status == whole.status);
    }
}

TEST_CASE("a parsed request exposes decoded path, query, headers and body")
{
    request_parser p;
    std::string bytes = "POST /a%20b/c?x=1%262&y=two+words&x=3 HTTP/1.1\r\nHost: h\r\nX-Key:  v  \r\n"
                        "Content-Length: 4\r\n\r\nbodyGET";
    std::size_t consumed = 0;
    REQUIRE(p.feed(bytes, consumed) == result::complete);
    CHECK(consumed == bytes.size() - 3); // the next request's bytes stay with the caller
    auto& req = p.get();
    CHECK(req.method == "POST");
    CHECK(req.path == "/a b/c");
    CHECK(req.raw_query == "x=1%262&y=two+words&x=3");
    CHECK(req.query_param("x") == "1&2");
    CHECK(req.query_param("y") == "two words");
    CHECK(req.query.size() == 3);
    CHECK(req.fields.find("x-key") == "v");
    CHECK(req.body == "body");
    CHECK(req.keep_alive);
}

TEST_CASE("keep-alive follows the version and the Connection header")
{
    auto parse = [](const std::string& bytes) {
        request_parser p;
        std::size_t consumed = 0;
        REQUIRE(p.feed(bytes, consumed) == result::complete);
        return p.get().keep_alive;
    };
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_FALSE(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
    CHECK_FALSE(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, Close\r\n\r\n"));
    CHECK_FALSE(parse("GET / HTTP/1.0\r\n\r\n"));
    CHECK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST_CASE("the parser is reusable after reset and sticky after an error")
{
    request_parser p;
    std::size_t consumed = 0;
    REQUIRE(p.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n", consumed) == result::complete);
    p.reset();
    REQUIRE(p.feed("GET /two HTTP/1.1\r\nHost: h\r\n\r\n", consumed) == result::complete);
    CHECK(p.get().path == "/two");
    p.reset();
    REQUIRE(p.feed("GET / HTTP/1.1\r\nHost : h\r\n", consumed) == result::error);
    CHECK(p.feed("GET / HTTP/1.1\r\n", consumed) == result::error);
    CHECK(consumed == 0);
}

TEST_CASE("Expect: 100-continue is reported once the head is in and the body is not")
{
    request_parser p;
    std::size_t consumed = 0;
    REQUIRE(p.feed("POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", consumed)
            == result::need_more);
    CHECK(p.awaiting_continue());
    REQUIRE(p.feed("ok", consumed) == result::complete);
    CHECK(p.get().body == "ok");
}

TEST_CASE("limits are configurable")
{
    discord::oauth2::server::parser_limits limits;
    limits.max_body = 3;
    limits.max_headers = 1;
    request_parser p(limits);
    std::size_t consumed = 0;
    CHECK(p.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n", consumed) == result::error);
    CHECK(p.error_status() == 431); // two headers over a limit of one, before the body is looked at
    request_parser q(limits);
    CHECK(q.feed("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n", consumed) == result::error);
    CHECK(q.error_status() == 400); // one header allowed, but HTTP/1.1 needs Host
}
