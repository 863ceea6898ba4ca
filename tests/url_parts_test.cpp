// Splitting absolute URLs, and the loopback test that decides where plain http is allowed.
#include "core/url_parts.hpp"

#include <discord/oauth2/endpoints.hpp>
#include <discord/oauth2/error.hpp>

#include "support/run.hpp"

#include <doctest/doctest.h>

namespace url = discord::oauth2::url;
namespace oauth2 = discord::oauth2;

namespace {

bool loopback(std::string_view u)
{
    auto p = url::split(u);
    REQUIRE(p);
    return p->on_loopback();
}

} // namespace

TEST_CASE("split takes scheme, host, port, path, query and fragment as written")
{
    auto p = url::split("HTTPS://[::1]:8443/a/b?x=1&y=2#frag");
    REQUIRE(p);
    CHECK(p->scheme == "https");
    CHECK(p->host == "::1");
    CHECK(p->port == 8443);
    CHECK(p->path == "/a/b");
    CHECK(p->query == "x=1&y=2");
    CHECK(p->fragment == "frag");
    CHECK(url::split("http://example.com")->path == "/");
    CHECK(url::split("http://example.com")->effective_port() == 80);
    CHECK_FALSE(url::split("ftp://example.com/"));
    CHECK_FALSE(url::split("http://user:pw@example.com/"));
    CHECK_FALSE(url::split("http://example.com:0/"));
    CHECK_FALSE(url::split("http://example.com:65536/"));
    CHECK_FALSE(url::split("http:///path"));
}

TEST_CASE("loopback is an address in 127.0.0.0/8 or ::1, or localhost; never a name that starts like one")
{
    CHECK(loopback("http://127.0.0.1/"));
    CHECK(loopback("http://127.255.3.4:99/"));
    CHECK(loopback("http://[::1]:8080/"));
    CHECK(loopback("http://[0:0:0:0:0:0:0:1]/"));
    CHECK(loopback("http://localhost:53134/callback"));
    CHECK(loopback("http://LocalHost/"));

    CHECK_FALSE(loopback("http://127.evil.example/"));
    CHECK_FALSE(loopback("http://127.0.0.1.evil.example/"));
    CHECK_FALSE(loopback("http://127.1/"));
    CHECK_FALSE(loopback("http://0x7f.0.0.1/"));
    CHECK_FALSE(loopback("http://localhost.evil.example/"));
    CHECK_FALSE(loopback("http://128.0.0.1/"));
    CHECK_FALSE(loopback("http://[::2]/"));
    CHECK_FALSE(loopback("http://[::ffff:8.8.8.8]/"));
    CHECK_FALSE(loopback("http://discord.com/"));
}

TEST_CASE("discovery refuses a plain-http issuer whose name only starts like loopback, before sending anything")
{
    asio::io_context io;
    test::run(io, [&]() -> asio::awaitable<void> {
        auto e = co_await test::expect_error([&]() -> asio::awaitable<void> {
            (void)co_await oauth2::discover_endpoints(io.get_executor(), "http://127.evil.example");
        });
        CHECK(e.code() == oauth2::errc::invalid_response);
        CHECK(std::string(e.what()).find("not an https URL") != std::string::npos);
    }());
}
