// The metrics observer the benchmarks' --metrics-cost counts with: the one serve --metrics uses
// (a Prometheus registry) where discord-oauth2-prometheus is built, else metrics_counters.
#pragma once

#include <discord/oauth2/metrics.hpp>
#if DISCORD_OAUTH2_HAVE_PROMETHEUS
#include <discord/oauth2/prometheus.hpp>

#include <prometheus/registry.h>
#endif

#include <memory>

namespace bench {

struct counting_observer {
#if DISCORD_OAUTH2_HAVE_PROMETHEUS
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    std::shared_ptr<discord::oauth2::metrics_observer> observer = discord::oauth2::make_prometheus_metrics(*registry);
    const char* what = "a Prometheus registry";
#else
    std::shared_ptr<discord::oauth2::metrics_observer> observer = std::make_shared<discord::oauth2::metrics_counters>();
    const char* what = "metrics_counters (this build has no prometheus-cpp)";
#endif
};

} // namespace bench
