#include <discord/oauth2/fmt.hpp>
#include <discord/oauth2/secret.hpp>

#include <doctest/doctest.h>

#include <sstream>

using discord::oauth2::secret;

TEST_CASE("a secret prints as [redacted] everywhere, and reveals itself only when asked")
{
    secret s("hunter2-client-secret");
    std::ostringstream out;
    out << "secret=" << s;
    CHECK(out.str() == "secret=[redacted]");
    CHECK(fmt::format("token {} and {:>12}", s, s) == "token [redacted] and   [redacted]");
    CHECK(s.reveal() == "hunter2-client-secret");
    CHECK_FALSE(s.empty());
    CHECK(secret().empty());
}

TEST_CASE("secrets compare by value")
{
    CHECK(secret("abc") == secret("abc"));
    CHECK_FALSE(secret("abc") == secret("abd"));
    CHECK_FALSE(secret("abc") == secret("abcd"));
    CHECK(secret() == secret(""));
}

TEST_CASE("snowflakes format as their number")
{
    CHECK(fmt::format("{}", discord::oauth2::snowflake(80351110224678912ULL)) == "80351110224678912");
}
