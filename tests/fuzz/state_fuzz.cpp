// libFuzzer target for sealed states. Two ways in: the fuzzed bytes as the `state` text a
// browser sends (anything but a state we sealed must fail as invalid_state), and the fuzzed bytes
// as the plaintext inside a correctly sealed state (a key holder's bug, or a future layout, must
// still be parsed without UB: every field bounded, and what opens seals and opens again the same).
#include "core/aead.hpp"
#include "core/base64.hpp"
#include "fuzz_check.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/state.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace oauth2 = discord::oauth2;
using fuzz::check;

namespace {

constexpr char state_version = 3;       // lib/core/state.cpp's layout version: version | key id | sealed
constexpr char unnamed_key_version = 2; // before key ids: version | sealed

const oauth2::state_key& key()
{
    static const auto k = oauth2::state_key::from_bytes(std::string(32, 'k'));
    return k;
}

void open_checked(std::string_view text)
{
    try {
        // Far in the past: expiry never hides a parsing path.
        auto claims = oauth2::open_state(key(), text, std::chrono::system_clock::time_point{});
        check(claims.nonce.size() == 16);
        check(claims.flow.size() <= 32);
        check(!claims.code_verifier || claims.code_verifier->reveal().size() <= 128);
        std::size_t joined = 0;
        for (const auto& s : claims.scopes) {
            check(!s.empty() && s.find(' ') == std::string::npos);
            joined += s.size() + 1;
        }
        check(joined <= 1025);
        auto again = oauth2::open_state(key(), oauth2::seal_state(key(), claims),
                                        std::chrono::system_clock::time_point{});
        check(again.user_id == claims.user_id && again.nonce == claims.nonce && again.flow == claims.flow
              && again.scopes == claims.scopes && again.issued_at == claims.issued_at
              && again.expires_at == claims.expires_at);
    } catch (const oauth2::error& e) {
        check(e.code() == oauth2::errc::invalid_state || e.code() == oauth2::errc::state_expired
              || e.code() == oauth2::errc::invalid_argument); // a flow or verifier that cannot be sealed again
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view input(reinterpret_cast<const char*>(data), size);
    try {
        (void)oauth2::open_state(key(), input);
        check(false); // nothing fuzzed is a state we sealed (the odds of forging GCM's tag: none)
    } catch (const oauth2::error& e) {
        // A state naming a key the ring lacks reads as expired, before any decryption.
        check(e.code() == oauth2::errc::invalid_state || e.code() == oauth2::errc::state_expired);
    }
    // The fuzzed bytes as the plaintext of both layouts: the current one, naming the key, and the
    // one before key ids, which still opens.
    std::string named(1, state_version);
    for (int i = 3; i >= 0; --i)
        named.push_back(static_cast<char>((key().id() >> (i * 8)) & 0xFF));
    named += discord::oauth2::aead::seal(key().bytes().reveal(), input, named);
    open_checked(discord::oauth2::base64::encode_url(named));
    std::string unnamed(1, unnamed_key_version);
    unnamed += discord::oauth2::aead::seal(key().bytes().reveal(), input, unnamed);
    open_checked(discord::oauth2::base64::encode_url(unnamed));
    return 0;
}
