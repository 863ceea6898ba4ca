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

TEST_CASE("copies keep the value; a moved-from or overwritten secret is left empty (its bytes wiped)")
{
    secret a("short");
    secret b(std::string(100, 'x'));
    secret copy = a;
    CHECK(copy.reveal() == "short");
    secret moved = std::move(a);
    CHECK(moved.reveal() == "short");
    CHECK(a.empty()); // NOLINT: moved-from on purpose
    moved = std::move(b);
    CHECK(moved.reveal() == std::string(100, 'x'));
    CHECK(b.empty()); // NOLINT
    moved = copy;
    CHECK(moved.reveal() == "short");
    moved = secret("another");
    CHECK(moved.reveal() == "another");
}

TEST_CASE("snowflakes format as their number")
{
    CHECK(fmt::format("{}", discord::oauth2::snowflake(80351110224678912ULL)) == "80351110224678912");
}
