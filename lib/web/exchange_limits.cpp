#include "web/exchange_limits.hpp"

#include <algorithm>

namespace discord::oauth2::web {

exchange_limits::exchange_limits(std::size_t per_minute_per_client, std::size_t per_second, std::size_t ipv6_prefix)
    : per_second_(static_cast<double>(per_second)), tokens_(static_cast<double>(per_second))
{
    if (per_minute_per_client > 0)
        clients_.emplace(per_minute_per_client, 65'536, ipv6_prefix);
}

std::optional<std::chrono::seconds> exchange_limits::take(const asio::ip::address& peer, clock::time_point now)
{
    bool per_client = clients_ && !peer.is_unspecified();
    if (per_client && !clients_->allow(peer, now)) {
        ++refused_;
        return clients_->retry_after();
    }
    if (per_second_ > 0) {
        bool refused = false;
        {
            std::lock_guard lock(mutex_);
            // at_ starts at the clock's epoch: the first call finds the bucket full. A `now` read
            // before another thread's (earlier, yet later here) refills nothing.
            if (now > at_) {
                tokens_ = std::min(per_second_, tokens_ + std::chrono::duration<double>(now - at_).count() * per_second_);
                at_ = now;
            }
            if (tokens_ < 1.0)
                refused = true;
            else
                tokens_ -= 1.0;
        }
        if (refused) {
            // The client's own rate is not charged for what the server as a whole refused.
            if (per_client)
                clients_->give_back(peer);
            ++refused_;
            return std::chrono::seconds(1); // a token comes back within a second at any rate of 1 or more
        }
    }
    return std::nullopt;
}

void exchange_limits::give_back(const asio::ip::address& peer)
{
    if (clients_ && !peer.is_unspecified())
        clients_->give_back(peer);
    if (per_second_ > 0) {
        std::lock_guard lock(mutex_);
        tokens_ = std::min(per_second_, tokens_ + 1.0);
    }
}

} // namespace discord::oauth2::web
