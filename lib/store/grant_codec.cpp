#include "store/grant_codec.hpp"

#include <discord/oauth2/error.hpp>

#include <cstdint>

namespace discord::oauth2::store {
namespace {

constexpr unsigned char format = 1;

void put_u64(std::string& out, std::uint64_t v)
{
    for (int i = 7; i >= 0; --i)
        out.push_back(static_cast<char>((v >> (i * 8)) & 0xFF));
}

void put_text(std::string& out, std::string_view s)
{
    put_u64(out, s.size());
    out.append(s);
}

void put_optional(std::string& out, const std::optional<std::string>& s)
{
    out.push_back(s ? 1 : 0);
    if (s)
        put_text(out, *s);
}

void put_optional_id(std::string& out, const std::optional<snowflake>& id)
{
    out.push_back(id ? 1 : 0);
    if (id)
        put_u64(out, id->value());
}

struct reader {
    std::string_view in;
    std::size_t at = 0;

    [[noreturn]] static void bad() { throw error(errc::invalid_response, "a stored grant is malformed"); }
    std::uint64_t u64()
    {
        if (at + 8 > in.size())
            bad();
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v = (v << 8) | static_cast<unsigned char>(in[at++]);
        return v;
    }
    bool flag()
    {
        if (at >= in.size())
            bad();
        auto c = static_cast<unsigned char>(in[at++]);
        if (c > 1)
            bad();
        return c == 1;
    }
    std::string text()
    {
        auto n = u64();
        if (n > in.size() - at)
            bad();
        std::string s(in.substr(at, n));
        at += n;
        return s;
    }
    std::optional<std::string> optional_text() { return flag() ? std::optional<std::string>(text()) : std::nullopt; }
    std::optional<snowflake> optional_id() { return flag() ? std::optional<snowflake>(snowflake(u64())) : std::nullopt; }
};

} // namespace

std::string encode_token(const access_token& t)
{
    std::string out(1, static_cast<char>(format));
    put_text(out, t.token.reveal());
    put_text(out, t.token_type);
    put_u64(out, static_cast<std::uint64_t>(t.expires_in.count()));
    put_u64(out, static_cast<std::uint64_t>(
                     std::chrono::duration_cast<std::chrono::seconds>(t.expires_at.time_since_epoch()).count()));
    put_optional(out, t.refresh_token ? std::optional<std::string>(t.refresh_token->reveal()) : std::nullopt);
    put_u64(out, t.scopes.size());
    for (const auto& s : t.scopes)
        put_text(out, s);
    put_optional(out, t.id_token ? std::optional<std::string>(t.id_token->reveal()) : std::nullopt);
    out.push_back(t.webhook ? 1 : 0);
    if (t.webhook) {
        const auto& w = *t.webhook;
        put_u64(out, w.id.value());
        put_u64(out, static_cast<std::uint64_t>(w.type));
        put_optional_id(out, w.guild_id);
        put_optional_id(out, w.channel_id);
        put_optional(out, w.name);
        put_optional(out, w.avatar);
        put_optional_id(out, w.application_id);
        put_text(out, w.token.reveal());
        put_text(out, w.url.reveal());
    }
    out.push_back(t.guild ? 1 : 0);
    if (t.guild) {
        put_u64(out, t.guild->id.value());
        put_text(out, t.guild->name);
    }
    return out;
}

access_token decode_token(std::string_view bytes)
{
    reader r{bytes};
    if (bytes.empty() || static_cast<unsigned char>(bytes[0]) != format)
        reader::bad();
    r.at = 1;
    access_token t;
    t.token = secret(r.text());
    t.token_type = r.text();
    t.expires_in = std::chrono::seconds(static_cast<std::int64_t>(r.u64()));
    t.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(r.u64())));
    if (auto refresh = r.optional_text())
        t.refresh_token = secret(std::move(*refresh));
    auto scopes = r.u64();
    if (scopes > bytes.size())
        reader::bad();
    for (std::uint64_t i = 0; i < scopes; ++i)
        t.scopes.push_back(r.text());
    if (auto id = r.optional_text())
        t.id_token = secret(std::move(*id));
    if (r.flag()) {
        webhook w;
        w.id = snowflake(r.u64());
        w.type = static_cast<int>(r.u64());
        w.guild_id = r.optional_id();
        w.channel_id = r.optional_id();
        w.name = r.optional_text();
        w.avatar = r.optional_text();
        w.application_id = r.optional_id();
        w.token = secret(r.text());
        w.url = secret(r.text());
        t.webhook = std::move(w);
    }
    if (r.flag()) {
        guild g;
        g.id = snowflake(r.u64());
        g.name = r.text();
        t.guild = std::move(g);
    }
    if (r.at != bytes.size())
        reader::bad();
    return t;
}

} // namespace discord::oauth2::store
