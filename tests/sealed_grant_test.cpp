// A grant sealed at rest: it opens for its user with its key; a row copied to another user is
// grant_copied, an altered one grant_altered, and another key opens nothing. Under a key ring it
// opens under the key it names, a missing key is named, and a grant sealed before key ids still
// opens under whichever key of the ring opens it.
#include "store/sealed_grant.hpp"

#include "core/aead.hpp"
#include "store/grant_codec.hpp"

#include <discord/oauth2/error.hpp>

#include <doctest/doctest.h>

#include <string>

namespace oauth2 = discord::oauth2;
namespace store = discord::oauth2::store;

namespace {

const oauth2::store_key key = oauth2::store_key::from_bytes(std::string(32, 'k'));

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

std::pair<oauth2::errc, std::string> failure_of(const std::string& sealed, oauth2::snowflake user,
                                                const oauth2::store_key_ring& keys)
{
    try {
        (void)store::open_grant(keys, user, sealed);
    } catch (const oauth2::error& e) {
        return {static_cast<oauth2::errc>(e.code().value()), e.what()};
    }
    FAIL("opened");
    return {};
}

oauth2::errc code_of(const std::string& sealed, oauth2::snowflake user, const oauth2::store_key_ring& keys = key)
{
    return failure_of(sealed, user, keys).first;
}

// A grant as the stores wrote it before key ids: format 1 | owner | sealed, with "grant", the
// format and the owner as associated data.
std::string sealed_before_key_ids(const oauth2::store_key& k, std::uint64_t owner, const oauth2::access_token& t)
{
    std::string head(1, '\x01');
    for (int i = 7; i >= 0; --i)
        head.push_back(static_cast<char>((owner >> (i * 8)) & 0xFF));
    return head + discord::oauth2::aead::seal(k.bytes().reveal(), store::encode_token(t), "grant" + head);
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
        // Bytes 9 to 12 name the key: changed, they name one the ring lacks.
        auto expected = i >= 1 && i <= 8 ? oauth2::errc::grant_copied
            : i >= 9 && i <= 12          ? oauth2::errc::wrong_store_key
                                         : oauth2::errc::grant_altered;
        CHECK(code_of(changed, oauth2::snowflake(42)) == expected);
    }
    // The store tells a wrong key by its key check before any row; a row alone, opened with
    // another key, names the key it was sealed under.
    CHECK(code_of(sealed, oauth2::snowflake(42), oauth2::store_key::from_bytes(std::string(32, 'o')))
          == oauth2::errc::wrong_store_key);
    CHECK(code_of("", oauth2::snowflake(42)) == oauth2::errc::grant_altered);
}

TEST_CASE("a ring opens a grant under the key it names, and names a key it lacks without changing anything")
{
    auto old_key = oauth2::store_key::generate();
    auto new_key = oauth2::store_key::generate();
    auto sealed = store::seal_grant(old_key, oauth2::snowflake(42), token());
    CHECK(store::sealed_under(old_key, sealed));
    CHECK_FALSE(store::sealed_under(new_key, sealed));
    // The new key first (it seals), the old one still opening.
    oauth2::store_key_ring both({new_key, old_key});
    CHECK(store::open_grant(both, oauth2::snowflake(42), sealed).token.reveal() == token().token.reveal());
    auto [code, message] = failure_of(sealed, oauth2::snowflake(42), new_key);
    CHECK(code == oauth2::errc::wrong_store_key);
    CHECK(message.find("sealed under key " + old_key.id_text() + ", which the ring lacks") != std::string::npos);
    CHECK(message.find(new_key.id_text()) != std::string::npos); // what the ring holds
    CHECK(message.find(old_key.to_hex().reveal()) == std::string::npos);
    // Nothing was changed: with the old key back, it opens.
    CHECK(store::open_grant(old_key, oauth2::snowflake(42), sealed).token.reveal() == token().token.reveal());
    // The key id is authenticated: pointed at the other key of the ring, it fails.
    auto renamed = sealed;
    for (int i = 0; i < 4; ++i)
        renamed[9 + static_cast<std::size_t>(i)] = static_cast<char>((new_key.id() >> ((3 - i) * 8)) & 0xFF);
    CHECK(code_of(renamed, oauth2::snowflake(42), both) == oauth2::errc::grant_altered);
}

TEST_CASE("a grant sealed before key ids opens under whichever key of the ring opens it")
{
    auto old_key = oauth2::store_key::generate();
    auto new_key = oauth2::store_key::generate();
    auto sealed = sealed_before_key_ids(old_key, 42, token());
    CHECK(store::open_grant(old_key, oauth2::snowflake(42), sealed).token.reveal() == token().token.reveal());
    oauth2::store_key_ring both({new_key, old_key});
    auto opened = store::open_grant(both, oauth2::snowflake(42), sealed);
    REQUIRE(opened.refresh_token);
    CHECK(opened.refresh_token->reveal() == token().refresh_token->reveal());
    CHECK_FALSE(store::sealed_under(old_key, sealed)); // a rekey writes it again, with an id
    CHECK(code_of(sealed, oauth2::snowflake(43), both) == oauth2::errc::grant_copied);
    auto [code, message] = failure_of(sealed, oauth2::snowflake(42), new_key);
    CHECK(code == oauth2::errc::grant_altered);
    CHECK(message.find("opens under no key of the ring (" + new_key.id_text() + ")") != std::string::npos);
}
