#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

namespace oauth2 = discord::oauth2;

TEST_CASE("library codes live in their own category and map to portable conditions")
{
    std::error_code timeout = oauth2::errc::timeout;
    CHECK(timeout.category() == oauth2::error_category());
    CHECK(std::string(oauth2::error_category().name()) == "discord.oauth2");
    CHECK(timeout == std::errc::timed_out);
    CHECK(std::error_code(oauth2::errc::cancelled) == std::errc::operation_canceled);
    CHECK(std::error_code(oauth2::errc::connection_refused) == std::errc::connection_refused);
    CHECK(std::error_code(oauth2::errc::response_too_large) == std::errc::message_size);
    CHECK(std::error_code(oauth2::errc::tls_error) != std::errc::timed_out);
    CHECK_FALSE(std::error_code(oauth2::errc::transport).message().empty());
}

TEST_CASE("error carries its code, message and HTTP status")
{
    oauth2::error e(oauth2::errc::timeout, "the request to https://discord.com timed out", 0);
    CHECK(e.code() == oauth2::errc::timeout);
    CHECK(std::string(e.what()).find("timed out") != std::string::npos);
    CHECK(e.http_status() == 0);
    oauth2::error with_status(oauth2::errc::transport, "bad gateway", 502);
    CHECK(with_status.http_status() == 502);
    const std::system_error& base = with_status;
    CHECK(base.code() == oauth2::errc::transport);
}
