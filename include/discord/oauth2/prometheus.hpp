// The library's observations (metrics.hpp) as Prometheus metrics, through prometheus-cpp: the
// families below, made in the bot's own registry, which the bot exposes as it already does.
//
//   prometheus::Exposer exposer{"127.0.0.1:9464"};            // prometheus-cpp-pull, the bot's own
//   auto registry = std::make_shared<prometheus::Registry>();
//   exposer.RegisterCollectable(registry);
//   config.metrics = oauth2::make_prometheus_metrics(*registry);   // client_config
//
// Built as the library discord-oauth2-prometheus of its own (pkg-config
// discord-oauth2-prometheus, CMake component prometheus), so that only the bots that use it link
// prometheus-cpp (its core library); this header includes none of prometheus-cpp's.
//
// The families, each with the const_labels of the options on every series:
//
//   discord_oauth2_requests_total{route,status}         counter    requests to Discord; status
//                                                                  "error" when no answer came
//   discord_oauth2_request_duration_seconds{route}      histogram  their durations
//   discord_oauth2_rate_limit_waits_total{scope}        counter    waits for Discord's limits
//   discord_oauth2_rate_limit_wait_seconds_total        counter    their durations, added up
//   discord_oauth2_invalid_requests_window              gauge      invalid requests in Discord's window
//   discord_oauth2_links_created_total                  counter    authorization URLs made
//   discord_oauth2_links_pending                        gauge      links not answered nor expired
//   discord_oauth2_callbacks_total{outcome}             counter    callbacks, by how they ended
//   discord_oauth2_waiters                              gauge      waits for an access token
//   discord_oauth2_refreshes_total{outcome}             counter    refreshes, by how they ended
//   discord_oauth2_grants                               gauge      grants in the store
//   discord_oauth2_store_up                             gauge      1 when the store answered
//   discord_oauth2_webhook_events_total{type,outcome}   counter    webhook requests
//   discord_oauth2_cluster_messages_dropped_total       counter    refused cluster messages
//
// Every series of a fixed label set exists from the start, at 0 (every route's histogram, every
// scope, outcome, and webhook type with outcome), so that an alert on a counter's increase sees
// its first one; a (route, status) pair appears with its first request. A label value comes from
// a closed set: a route not in request_routes() or a webhook type not in webhook_event_types()
// is counted as "other", a status outside 100 to 599 as "other".
#pragma once

#include <discord/oauth2/metrics.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
} // namespace prometheus

namespace discord::oauth2 {

/// What make_prometheus_metrics adds to the families it makes.
struct prometheus_metrics_options {
    /// Labels on every series of every family, for telling this bot's series from others' in
    /// one Prometheus (an instance, a bot's name): {"instance", "eu-1"}. A name is a Prometheus
    /// label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__") and none of the families' own
    /// labels (route, status, scope, outcome, type, le); a value is any text.
    std::map<std::string, std::string> const_labels;
    /// The upper bounds, in seconds, of discord_oauth2_request_duration_seconds' buckets
    /// (a +Inf bucket is always added): strictly increasing, finite.
    std::vector<double> request_duration_buckets{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
};

/// Makes the library's metric families (this header's opening comment lists them) in
/// `registry`, with every series of a fixed label set at 0, and returns the observer that
/// updates them: give it to client_config::metrics.
///
/// Errors: error with errc::invalid_argument for options that are not acceptable (a const
/// label's name, a bucket; the message says which), and when the registry refuses a family,
/// naming it: one of that name is there already with another type or other const labels, or at
/// all in a registry made with prometheus::Registry::InsertBehavior::Throw (the families made
/// before the refusal stay in the registry). std::bad_alloc when memory runs out.
///
/// Lifetimes: the observer keeps pointers into `registry`, which must outlive every call made
/// to the observer: keep the registry until the clients, web servers and refreshers holding the
/// observer are destroyed, and never remove these families from it. prometheus-cpp registers a
/// family's name once in a registry: a second observer made for the same registry with the same
/// const_labels counts into the first one's series (its default InsertBehavior::Merge), one with
/// other const_labels is refused. One client's observer serves its web servers and refresher
/// too; several clients in one process share one observer, or each has a registry of its own.
///
/// Threads: the observer may be called from several threads at once (as metrics_observer says
/// the library does); a request's count and duration take no lock of prometheus-cpp's family
/// but the first time its route and status are seen, and a histogram's own short lock. A
/// scrape (registry.Collect()) may run at the same time, and so may make_prometheus_metrics
/// itself while other threads use the registry (prometheus-cpp's registry locks).
[[nodiscard]] std::shared_ptr<metrics_observer> make_prometheus_metrics(prometheus::Registry& registry,
                                                                      prometheus_metrics_options options);

/// make_prometheus_metrics with the default options: no const labels, the default buckets.
[[nodiscard]] std::shared_ptr<metrics_observer> make_prometheus_metrics(prometheus::Registry& registry);

} // namespace discord::oauth2
