// Built against an installed discord-oauth2-prometheus by tests/package/check.sh: the observer
// counts into a prometheus-cpp registry the program made, and a scrape shows it.
#include <discord/oauth2/prometheus.hpp>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <iostream>
#include <sstream>
#include <string>

int main()
{
    namespace oauth2 = discord::oauth2;
    prometheus::Registry registry;
    oauth2::prometheus_metrics_options options;
    options.const_labels = {{"instance", "consumer"}};
    auto metrics = oauth2::make_prometheus_metrics(registry, options);
    auto route = std::string(oauth2::request_routes().front());
    metrics->request_finished(route, 200, std::chrono::milliseconds(20));
    std::ostringstream scraped;
    prometheus::TextSerializer().Serialize(scraped, registry.Collect());
    auto line = "discord_oauth2_requests_total{instance=\"consumer\",route=\"" + route + "\",status=\"200\"} 1\n";
    if (scraped.str().find(line) == std::string::npos) {
        std::cerr << "consumer: no line " << line << "in\n" << scraped.str();
        return 1;
    }
    std::cout << "consumer: prometheus counted\n";
}
