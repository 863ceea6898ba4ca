// The Prometheus text exposition format (0.0.4) of a registry, for serve's /metrics. Apart from
// main.cpp so that prometheus-cpp's serializer is compiled in one file only.
#pragma once

#include <string>

namespace prometheus {
class Registry;
}

namespace cli {

/// Everything `registry` holds, as Prometheus scrapes it.
[[nodiscard]] std::string prometheus_text(const prometheus::Registry& registry);

} // namespace cli
