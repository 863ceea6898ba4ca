// serve's operator endpoint (--metrics ADDRESS:PORT): GET /metrics in Prometheus' text format,
// GET /healthz (the process serves) and GET /readyz (it can take a callback: the listener
// accepts and the token store answers). On loopback unless another address is named: the
// counts say how busy the bot is and how its links end, which is nobody else's business.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace cli {

/// Whether serve can take a callback now, and if not, why (for people and for /readyz's body).
struct readiness {
    bool ready = false;
    std::string reason; ///< empty when ready
};

struct metrics_endpoint_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 9464; ///< 0: a free one
    /// Asked by /readyz, and before every scrape of /metrics (so that the store's gauges are
    /// current). Must not throw; must end within a few seconds.
    std::function<asio::awaitable<readiness>()> check;
    /// The body of /metrics: Prometheus' text exposition format 0.0.4.
    std::function<std::string()> exposition;
};

/// Reads --metrics: "PORT" (on 127.0.0.1), "ADDRESS:PORT", "[IPV6]:PORT"; the address must be a
/// literal IP address. Throws usage_error saying what is wrong.
[[nodiscard]] metrics_endpoint_options metrics_address(std::string_view text);

class metrics_endpoint {
public:
    metrics_endpoint(asio::any_io_executor executor, metrics_endpoint_options options);
    ~metrics_endpoint();
    metrics_endpoint(const metrics_endpoint&) = delete;
    metrics_endpoint& operator=(const metrics_endpoint&) = delete;

    /// Binds and serves. Throws `error` (address_in_use, invalid_argument) when it cannot.
    void start();
    /// From now on /healthz and /readyz answer 503 ("stopping"): a graceful stop is under way.
    void stopping();
    /// Closes the port.
    void stop();
    /// "http://ADDRESS:PORT" with the port it got.
    [[nodiscard]] std::string where() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace cli
