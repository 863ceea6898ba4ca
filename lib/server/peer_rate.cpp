#include "server/peer_rate.hpp"

#include "server/peer_network.hpp"

#include <algorithm>

namespace discord::oauth2::server {

peer_rate::peer_rate(std::size_t per_minute, std::size_t max_peers, std::size_t ipv6_prefix)
    : capacity_(static_cast<double>(per_minute)), per_second_(static_cast<double>(per_minute) / 60.0),
      max_peers_(max_peers), ipv6_prefix_(ipv6_prefix)
{
}

bool peer_rate::allow(const asio::ip::address& peer, clock::time_point now)
{
    auto key = peer_network(peer, ipv6_prefix_);
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_peers_ && now >= next_sweep_) {
            // Forget the peers whose bucket is full again: they are as if never seen.
            std::erase_if(buckets_, [&](const auto& entry) {
                const auto& b = entry.second;
                return b.tokens + std::chrono::duration<double>(now - b.at).count() * per_second_ >= capacity_;
            });
            next_sweep_ = now + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1.0 / per_second_));
        }
        if (buckets_.size() >= max_peers_)
            buckets_.erase(buckets_.begin()); // some peer starts afresh rather than a new one shut out
        it = buckets_.emplace(key, bucket{capacity_, now}).first;
    }
    auto& b = it->second;
    b.tokens = std::min(capacity_, b.tokens + std::chrono::duration<double>(now - b.at).count() * per_second_);
    b.at = now;
    if (b.tokens < 1.0)
        return false;
    b.tokens -= 1.0;
    return true;
}

void peer_rate::give_back(const asio::ip::address& peer)
{
    auto key = peer_network(peer, ipv6_prefix_);
    std::lock_guard lock(mutex_);
    if (auto it = buckets_.find(key); it != buckets_.end())
        it->second.tokens = std::min(capacity_, it->second.tokens + 1.0);
}

std::chrono::seconds peer_rate::retry_after() const noexcept
{
    return std::chrono::seconds(static_cast<long>(std::max(1.0, 1.0 / per_second_ + 0.999)));
}

std::size_t peer_rate::peers()
{
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

} // namespace discord::oauth2::server
