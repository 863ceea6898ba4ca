#include <discord/oauth2/state.hpp>
#include <discord/oauth2/replay_guard.hpp>

#include "core/aead.hpp"

#include "core/base64.hpp"
#include "core/key_id.hpp"
#include "core/random.hpp"
#include "core/wipe.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/format.h>

#include <memory>

namespace discord::oauth2 {
namespace {

// Layout: version(1) | key id(4) | iv(12) | ciphertext | tag(16), base64url. The version byte
// and the key id are also the additional authenticated data, so neither can be changed without
// failing the tag. Version 3 added the key id (key rings); version 2 states, sealed before it,
// still open under whichever key of the ring opens them (they have no id to pick one by).
// Version 2 added the requested scopes; version 1 states (which lack them) are refused, since a
// callback could not tell whether their scope was edited.
constexpr unsigned char version = 3;
constexpr unsigned char unnamed_key_version = 2;
constexpr std::size_t key_id_size = 4;
constexpr std::size_t max_scopes = 1024;
constexpr std::size_t max_text = 2048;
// Times past the year 2200 are refused before they become nanoseconds: system_clock counts
// nanoseconds in 64 bits, which end in 2262.
constexpr std::uint64_t max_seconds = 7'258'118'400;
constexpr std::size_t nonce_size = 16;
constexpr std::size_t max_flow = 32;

[[noreturn]] void invalid(std::string_view why)
{
    throw error(errc::invalid_state,
                fmt::format("the state is not one we issued ({}): the link was altered, is from elsewhere, or the key "
                            "changed; start the authorization again",
                            why));
}

void put_u64(std::string& out, std::uint64_t v)
{
    for (int i = 7; i >= 0; --i)
        out.push_back(static_cast<char>((v >> (i * 8)) & 0xFF));
}

std::uint64_t get_u64(std::string_view in, std::size_t& at)
{
    if (at + 8 > in.size())
        invalid("truncated");
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v = (v << 8) | static_cast<unsigned char>(in[at++]);
    return v;
}

std::int64_t seconds(std::chrono::system_clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

} // namespace

std::string seal_state(const state_key_ring& keys, state_claims claims)
{
    if (claims.flow.size() > max_flow)
        throw error(errc::invalid_argument, fmt::format("a state's flow is at most {} bytes", max_flow));
    if (claims.nonce.empty())
        claims.nonce = random::bytes(nonce_size);
    if (claims.nonce.size() != nonce_size)
        throw error(errc::invalid_argument, "a state's nonce is 16 bytes");
    const auto& verifier = claims.code_verifier ? claims.code_verifier->reveal() : std::string();
    if (verifier.size() > 128)
        throw error(errc::invalid_argument, "a PKCE verifier is at most 128 characters");
    std::string scopes;
    for (const auto& s : claims.scopes) {
        if (s.empty() || s.find_first_of(" \t\r\n") != std::string::npos)
            throw error(errc::invalid_argument, "a scope is one word without spaces");
        if (!scopes.empty())
            scopes.push_back(' ');
        scopes += s;
    }
    if (scopes.size() > max_scopes)
        throw error(errc::invalid_argument, fmt::format("a state's scopes are at most {} bytes together", max_scopes));

    std::string plain;
    put_u64(plain, claims.user_id.value());
    put_u64(plain, static_cast<std::uint64_t>(seconds(claims.issued_at)));
    put_u64(plain, static_cast<std::uint64_t>(seconds(claims.expires_at)));
    plain += claims.nonce;
    plain.push_back(static_cast<char>(claims.flow.size()));
    plain += claims.flow;
    plain.push_back(static_cast<char>(claims.code_verifier ? verifier.size() + 1 : 0)); // 0: no verifier
    plain += verifier;
    plain.push_back(static_cast<char>(scopes.size() >> 8));
    plain.push_back(static_cast<char>(scopes.size() & 0xFF));
    plain += scopes;

    const auto& key = keys.current();
    std::string out(1, static_cast<char>(version));
    out += core::key_id_bytes(key.id());
    out += aead::seal(key.bytes().reveal(), plain, out); // version and key id: the associated data
    core::wipe(plain.data(), plain.size());
    return base64::encode_url(out);
}

state_claims open_state(const state_key_ring& keys, std::string_view text,
                        std::chrono::system_clock::time_point now)
{
    if (text.size() > max_text)
        invalid("too long");
    auto raw = base64::decode_url(text);
    if (!raw)
        invalid("not base64url");
    if (raw->size() < 1 + aead::overhead + 8 * 3 + nonce_size + 4)
        invalid("too short");
    std::string_view sealed = *raw;
    std::optional<std::string> opened;
    if (static_cast<unsigned char>(sealed[0]) == version) {
        if (sealed.size() < 1 + key_id_size + aead::overhead + 8 * 3 + nonce_size + 4)
            invalid("too short");
        auto id = core::key_id_from(sealed.substr(1));
        const auto* key = keys.find(id);
        if (!key)
            throw error(errc::state_expired,
                        fmt::format("this authorization link was sealed under key {}, which has since been retired: "
                                    "start again",
                                    key_id_text(id)));
        opened = aead::open(key->bytes().reveal(), sealed.substr(1 + key_id_size), sealed.substr(0, 1 + key_id_size));
    } else if (static_cast<unsigned char>(sealed[0]) == unnamed_key_version) {
        for (const auto& key : keys.keys())
            if ((opened = aead::open(key.bytes().reveal(), sealed.substr(1), sealed.substr(0, 1))))
                break;
    } else {
        invalid("unknown version");
    }
    if (!opened)
        invalid("authentication failed");
    auto& plain = *opened;
    // The plaintext holds the verifier: wiped on every way out, the refusals included.
    struct wiped_on_exit {
        std::string& text;
        ~wiped_on_exit() { core::wipe(text.data(), text.size()); }
    } wiper{plain};

    state_claims claims;
    std::size_t at = 0;
    claims.user_id = snowflake(get_u64(plain, at));
    auto issued = get_u64(plain, at);
    auto expires = get_u64(plain, at);
    if (issued > max_seconds || expires > max_seconds)
        invalid("a time out of range");
    claims.issued_at = std::chrono::system_clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(issued)));
    claims.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(expires)));
    claims.nonce = plain.substr(at, nonce_size);
    at += nonce_size;
    auto flow_size = static_cast<unsigned char>(plain.at(at++));
    if (flow_size > max_flow)
        invalid("a flow too long");
    if (at + flow_size + 1 > plain.size())
        invalid("truncated");
    claims.flow = plain.substr(at, flow_size);
    at += flow_size;
    auto verifier_size = static_cast<unsigned char>(plain[at++]);
    if (verifier_size > 129)
        invalid("a verifier too long");
    if (verifier_size) {
        if (at + verifier_size - 1 + 2 > plain.size())
            invalid("truncated");
        claims.code_verifier = secret(plain.substr(at, verifier_size - 1u));
        at += verifier_size - 1u;
    }
    if (at + 2 > plain.size())
        invalid("truncated");
    std::size_t scopes_size = static_cast<std::size_t>(static_cast<unsigned char>(plain[at])) << 8
        | static_cast<unsigned char>(plain[at + 1]);
    at += 2;
    if (scopes_size > max_scopes || at + scopes_size != plain.size())
        invalid(at + scopes_size < plain.size() ? "trailing bytes" : "truncated");
    for (std::size_t from = at, end = plain.size(); from < end;) {
        auto space = plain.find(' ', from);
        if (space == std::string::npos || space > end)
            space = end;
        if (space == from)
            invalid("an empty scope");
        claims.scopes.push_back(plain.substr(from, space - from));
        from = space + 1;
        if (from == end)
            invalid("an empty scope");
    }

    if (now >= claims.expires_at)
        throw error(errc::state_expired, "this authorization link has expired: start again");
    return claims;
}

asio::awaitable<state_claims> open_state_once(state_key_ring keys, std::string text, replay_guard& guard)
{
    auto claims = open_state(keys, text);
    if (!co_await guard.consume(claims.nonce, claims.expires_at))
        throw error(errc::state_replayed, "this authorization link was already used: start again if needed");
    co_return claims;
}

} // namespace discord::oauth2
