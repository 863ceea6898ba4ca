#include "grants.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace discord::oauth2::emulator {

std::string random_token(std::size_t length)
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string out;
    out.reserve(length);
    unsigned char buf[64];
    while (out.size() < length) {
        if (RAND_bytes(buf, sizeof buf) != 1)
            throw std::runtime_error("the system's random generator failed");
        for (unsigned char b : buf)
            if (b < 248 && out.size() < length) // 248 = 4 * 62: no modulo bias
                out.push_back(alphabet[b % 62]);
    }
    return out;
}

std::string grant_book::issue_code(authorization_code code)
{
    auto text = random_token(30);
    codes_.emplace(text, std::move(code));
    return text;
}

std::optional<authorization_code> grant_book::redeem_code(const std::string& code, clock::time_point now)
{
    auto it = codes_.find(code);
    if (it == codes_.end())
        return std::nullopt;
    auto found = std::move(it->second);
    codes_.erase(it); // spent whatever happens next, as at Discord
    if (found.expires_at <= now)
        return std::nullopt;
    return found;
}

grant& grant_book::create(grant g, bool with_refresh_token)
{
    g.id = next_id_++;
    g.access_token = random_token(30);
    if (with_refresh_token)
        g.refresh_token = random_token(30);
    by_access_[g.access_token] = g.id;
    if (!g.refresh_token.empty())
        by_refresh_[g.refresh_token] = g.id;
    return grants_.emplace(g.id, std::move(g)).first->second;
}

const grant* grant_book::by_access_token(const std::string& token, clock::time_point now) const
{
    auto it = by_access_.find(token);
    if (it == by_access_.end())
        return nullptr;
    const auto& g = grants_.at(it->second);
    return g.expires_at > now ? &g : nullptr;
}

grant* grant_book::refresh(const std::string& refresh_token, snowflake application_id, std::chrono::seconds ttl,
                           clock::time_point now)
{
    auto it = by_refresh_.find(refresh_token);
    if (it == by_refresh_.end())
        return nullptr;
    auto& g = grants_.at(it->second);
    if (g.application_id != application_id)
        return nullptr;
    by_access_.erase(g.access_token);
    by_refresh_.erase(it);
    g.access_token = random_token(30);
    g.refresh_token = random_token(30);
    g.expires_at = now + ttl;
    ++g.refreshes;
    by_access_[g.access_token] = g.id;
    by_refresh_[g.refresh_token] = g.id;
    return &g;
}

grant* grant_book::find_by_token(const std::string& token, bool access, bool refresh)
{
    if (access)
        if (auto it = by_access_.find(token); it != by_access_.end())
            return &grants_.at(it->second);
    if (refresh)
        if (auto it = by_refresh_.find(token); it != by_refresh_.end())
            return &grants_.at(it->second);
    return nullptr;
}

void grant_book::revoke(std::uint64_t grant_id)
{
    auto it = grants_.find(grant_id);
    if (it == grants_.end())
        return;
    by_access_.erase(it->second.access_token);
    by_refresh_.erase(it->second.refresh_token);
    grants_.erase(it);
}

} // namespace discord::oauth2::emulator
