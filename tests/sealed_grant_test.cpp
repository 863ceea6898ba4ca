// A grant sealed at rest: it opens for its user with its key; a row copied to another user is
// grant_copied, an altered one grant_altered, and another key opens nothing.
#include "store/sealed_grant.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

#include <string>

namespace oauth2 = discord::oauth2;
namespace store = discord::oauth2::store;

namespace {

const std::string key(32, 'k');

oauth2::access_token token()
{
    oauth2::access_token t;
    t.token = oauth2::secret("access-6qrZcUqja7812RVdnEKjpzOL4CvHBFG");
    t.refresh_token = oauth2::secret("refresh-D43f5y0ahjqew82jZ4NViEr2YafMKhue");
    t.scopes = {"identify", "connections"};
    t.expires_in = std::chrono::seconds(604800);
    t.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    return t;
}

oauth2::errc code_of(const std::string& sealed, oauth2::snowflake user, const std::string& k = key)
{
    try {
        (void)store::open_grant(k, user, sealed);
    } catch (const oauth2::error& e) {
        return static_cast<oauth2::errc>(e.code().value());
    }
    FAIL("opened");
    return {};
}

} // namespace

TEST_CASE("a sealed grant opens for its user with every field, and holds no token in clear")
{
    auto sealed = store::seal_grant(key, oauth2::snowflake(42), token());
    CHECK(sealed.find("access-6qrZ") == std::string::npos);
    CHECK(sealed.find("refresh-D43f") == std::string::npos);
    auto opened = store::open_grant(key, oauth2::snowflake(42), sealed);
    CHECK(opened.token.reveal() == "access-6qrZcUqja7812RVdnEKjpzOL4CvHBFG");
    REQUIRE(opened.refresh_token);
    CHECK(opened.refresh_token->reveal() == "refresh-D43f5y0ahjqew82jZ4NViEr2YafMKhue");
    CHECK(opened.scopes == token().scopes);
    CHECK(opened.expires_at == token().expires_at);
}

TEST_CASE("copied to another user: grant_copied; any byte changed: grant_altered; another key: refused")
{
    auto sealed = store::seal_grant(key, oauth2::snowflake(42), token());
    CHECK(code_of(sealed, oauth2::snowflake(43)) == oauth2::errc::grant_copied);
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        auto changed = sealed;
        changed[i] = static_cast<char>(changed[i] ^ 0x40);
        CAPTURE(i);
        // Bytes 1 to 8 are the owner, in clear but authenticated: changed, they name another user.
        auto expected = i >= 1 && i <= 8 ? oauth2::errc::grant_copied : oauth2::errc::grant_altered;
        CHECK(code_of(changed, oauth2::snowflake(42)) == expected);
    }
    // The store tells a wrong key by its key check before any row (wrong_store_key); a row alone
    // opened with another key fails authentication.
    CHECK(code_of(sealed, oauth2::snowflake(42), std::string(32, 'o')) == oauth2::errc::grant_altered);
    CHECK(code_of("", oauth2::snowflake(42)) == oauth2::errc::grant_altered);
}
