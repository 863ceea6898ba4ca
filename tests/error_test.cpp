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

TEST_CASE("what() says the sentence once: the message alone, or the code's meaning without one")
{
    // std::system_error would append ": no grant is stored for the user" to a message that says it.
    oauth2::error no_grant(oauth2::errc::no_grant, "no grant is stored for user 1");
    CHECK(std::string(no_grant.what()) == "no grant is stored for user 1");
    const std::exception& as_exception = no_grant;
    CHECK(std::string(as_exception.what()) == "no grant is stored for user 1");
    oauth2::error bare(oauth2::errc::no_grant, "");
    CHECK(std::string(bare.what()) == "no grant is stored for the user");
    oauth2::error copied = no_grant;
    CHECK(std::string(copied.what()) == "no grant is stored for user 1");
}

TEST_CASE("Discord's details travel with the error, and reauthorization is recognised")
{
    oauth2::error_details d;
    d.discord_code = 50035;
    d.description = "Invalid Form Body";
    d.field_errors.push_back({"access_token", "BASE_TYPE_REQUIRED", "This field is required"});
    oauth2::error e(oauth2::errc::api_error, "Discord rejected the request", 400, d);
    CHECK(e.discord_code() == 50035);
    CHECK(e.description() == "Invalid Form Body");
    REQUIRE(e.field_errors().size() == 1);
    CHECK(e.field_errors()[0].path == "access_token");
    oauth2::error copy = e; // copies share the details
    CHECK(copy.field_errors().size() == 1);
    CHECK_FALSE(e.needs_reauthorization());
    CHECK(oauth2::error(oauth2::errc::timeout, "t").field_errors().empty());
    CHECK_FALSE(oauth2::error(oauth2::errc::timeout, "t").retry_after());

    auto with = [](oauth2::errc code, std::string description) {
        oauth2::error_details details;
        details.description = std::move(description);
        return oauth2::error(code, "x", 400, details);
    };
    CHECK(with(oauth2::errc::invalid_grant, "").needs_reauthorization());
    CHECK(with(oauth2::errc::invalid_request, "Invalid \"code\" in request.").needs_reauthorization());
    CHECK(with(oauth2::errc::invalid_request, "Invalid \"refresh_token\" in request").needs_reauthorization());
    CHECK_FALSE(with(oauth2::errc::invalid_request, "Missing \"code_verifier\"").needs_reauthorization());
    CHECK_FALSE(with(oauth2::errc::invalid_client, "").needs_reauthorization());
    CHECK(std::error_code(oauth2::errc::access_denied) == std::errc::permission_denied);
}
