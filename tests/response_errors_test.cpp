// Discord's error answers become the library's errors with what Discord said attached: RFC 6749
// bodies of the token endpoints, API errors with field errors, rate limits, and bodies that are
// not JSON at all.
#include "client/response_errors.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

#include <string>

namespace oauth2 = discord::oauth2;
namespace http = discord::oauth2::http;

namespace {

http::response answer(int status, std::string_view body, std::initializer_list<std::pair<const char*, const char*>> fields = {})
{
    http::response r;
    r.status = status;
    r.body.append(body.data(), body.size());
    for (const auto& [name, value] : fields)
        r.fields.add(name, value);
    return r;
}

oauth2::error thrown(const http::response& r)
{
    try {
        oauth2::rest::throw_unless_success(r, "the test operation");
    } catch (const oauth2::error& e) {
        return e;
    }
    FAIL("nothing thrown for status " << r.status);
    return oauth2::error(oauth2::errc::transport, "unreachable");
}

} // namespace

TEST_CASE("2xx passes")
{
    CHECK_NOTHROW(oauth2::rest::throw_unless_success(answer(200, "{}"), "x"));
    CHECK_NOTHROW(oauth2::rest::throw_unless_success(answer(204, ""), "x"));
}

TEST_CASE("RFC 6749 bodies of the token endpoints keep their error code and description")
{
    auto e = thrown(answer(400, R"({"error":"invalid_grant","error_description":"Invalid \"code\" in request."})"));
    CHECK(e.code() == oauth2::errc::invalid_grant);
    CHECK(e.http_status() == 400);
    CHECK(e.description() == "Invalid \"code\" in request.");
    CHECK(e.needs_reauthorization());
    CHECK(thrown(answer(401, R"({"error":"invalid_client"})")).code() == oauth2::errc::invalid_client);
}

TEST_CASE("API errors keep Discord's code, message and field errors; the status decides the errc")
{
    auto e = thrown(answer(400, R"({"code":50035,"message":"Invalid Form Body","errors":{"metadata":{"_errors":[)"
                                R"({"code":"BASE_TYPE_BAD_LENGTH","message":"Must be 5 or fewer in length."}]}}})"));
    CHECK(e.code() == oauth2::errc::api_error);
    CHECK(e.discord_code() == 50035);
    REQUIRE(e.field_errors().size() == 1);
    CHECK(e.field_errors()[0].path == "metadata");
    CHECK(e.field_errors()[0].code == "BASE_TYPE_BAD_LENGTH");
    CHECK(std::string(e.what()).find("metadata: Must be 5 or fewer in length.") != std::string::npos);
    CHECK(thrown(answer(401, R"({"message":"401: Unauthorized","code":0})")).code() == oauth2::errc::unauthorized);
    CHECK(thrown(answer(403, R"({"message":"Missing Access","code":50001})")).code() == oauth2::errc::forbidden);
    CHECK(thrown(answer(404, R"({"message":"Unknown Guild","code":10004})")).discord_code() == 10004);
    CHECK(thrown(answer(503, "upstream connect error")).code() == oauth2::errc::server_error);
}

TEST_CASE("a 429 says how long to wait, from the body or the header, within bounds")
{
    auto body = thrown(answer(429, R"({"message":"You are being rate limited.","retry_after":64.57,"global":false})",
                              {{"Retry-After", "65"}}));
    CHECK(body.code() == oauth2::errc::rate_limited);
    REQUIRE(body.retry_after());
    CHECK(*body.retry_after() == doctest::Approx(64.57));
    auto header_only = thrown(answer(429, "<html>Cloudflare</html>", {{"Retry-After", "7"}}));
    REQUIRE(header_only.retry_after());
    CHECK(*header_only.retry_after() == doctest::Approx(7));
}

TEST_CASE("a body that is not JSON still gives an error naming the status, never invalid_response")
{
    auto e = thrown(answer(400, "<html>bad gateway</html>"));
    CHECK(e.code() == oauth2::errc::api_error);
    CHECK(std::string(e.what()).find("HTTP 400") != std::string::npos);
    // An API error without the fields Discord's spec requires is read as no body at all.
    auto partial = thrown(answer(404, R"({"message":"Unknown Guild"})"));
    CHECK(partial.code() == oauth2::errc::not_found);
    CHECK_FALSE(partial.discord_code());
}
