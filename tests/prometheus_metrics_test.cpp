// make_prometheus_metrics (discord-oauth2-prometheus): the families in a prometheus-cpp registry
// as a scrape shows them in Prometheus' text format. Every series of a fixed label set is there
// at 0 before anything happens, with the const labels; requests count by route and status
// ("error" without an answer) with their durations; label values come from closed sets only
// ("other" for the rest); gauges say what was last reported; options and registries that do not
// fit are refused with invalid_argument; calls from several threads at once add up.
#include <discord/oauth2/error.hpp>
#include <discord/oauth2/prometheus.hpp>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <latch>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace oauth2 = discord::oauth2;
using namespace std::chrono_literals;

namespace {

// The registry as Prometheus scrapes it.
std::string scrape(const prometheus::Registry& registry)
{
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry.Collect());
    return out.str();
}

bool has_line(const std::string& scraped, const std::string& line)
{
    return ("\n" + scraped).find("\n" + line + "\n") != std::string::npos;
}

// `name{labels} value` as the text format writes a series.
std::string series(std::string_view name, std::string_view labels, std::string_view value)
{
    auto line = std::string(name);
    if (!labels.empty())
        line += "{" + std::string(labels) + "}";
    return line + " " + std::string(value);
}

std::string label(std::string_view name, std::string_view value)
{
    return std::string(name) + "=\"" + std::string(value) + "\"";
}

// A series of `name` labelled `label_name` with an enum value's to_string, after `consts`.
template <class Enum>
std::string enum_series(std::string_view name, std::string_view label_name, Enum value, std::string_view count,
                        const std::string& consts = {})
{
    auto labels = label(label_name, oauth2::to_string(value));
    return series(name, consts.empty() ? labels : consts + "," + labels, count);
}

std::string route_label(std::string_view route)
{
    return label("route", route);
}

// Each line of the scrape that is a series (not a comment).
std::vector<std::string> series_lines(const std::string& scraped)
{
    std::vector<std::string> lines;
    std::istringstream in(scraped);
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line.front() != '#')
            lines.push_back(line);
    return lines;
}

constexpr oauth2::callback_outcome callback_outcomes[] = {
    oauth2::callback_outcome::authorized, oauth2::callback_outcome::denied,
    oauth2::callback_outcome::invalid_state, oauth2::callback_outcome::expired,
    oauth2::callback_outcome::replay, oauth2::callback_outcome::refused_account,
    oauth2::callback_outcome::rate_limited, oauth2::callback_outcome::code_refused, oauth2::callback_outcome::failed};
constexpr oauth2::refresh_outcome refresh_outcomes[] = {oauth2::refresh_outcome::refreshed,
                                                        oauth2::refresh_outcome::lost,
                                                        oauth2::refresh_outcome::failed};
constexpr oauth2::webhook_outcome webhook_outcomes[] = {
    oauth2::webhook_outcome::accepted, oauth2::webhook_outcome::replay, oauth2::webhook_outcome::bad_signature,
    oauth2::webhook_outcome::stale, oauth2::webhook_outcome::malformed, oauth2::webhook_outcome::too_large,
    oauth2::webhook_outcome::unavailable};
constexpr oauth2::rate_limit_scope scopes[] = {oauth2::rate_limit_scope::bucket, oauth2::rate_limit_scope::global,
                                               oauth2::rate_limit_scope::shared};

// Two routes of request_routes() that are not "other".
std::pair<std::string, std::string> two_routes()
{
    auto routes = oauth2::request_routes();
    REQUIRE(routes.size() >= 3);
    REQUIRE(routes[0] != "other");
    REQUIRE(routes[1] != "other");
    return {std::string(routes[0]), std::string(routes[1])};
}

oauth2::errc refusal_of(const std::function<void()>& f)
{
    try {
        f();
    } catch (const oauth2::error& e) {
        return static_cast<oauth2::errc>(e.code().value());
    }
    return {};
}

} // namespace

TEST_CASE("before anything happens, every series of a fixed label set is at 0, with the const labels")
{
    prometheus::Registry registry;
    oauth2::prometheus_metrics_options options;
    options.const_labels = {{"instance", "eu-1"}, {"bot", "seed"}};
    auto observer = oauth2::make_prometheus_metrics(registry, options);
    REQUIRE(observer);
    auto scraped = scrape(registry);
    const auto consts = label("bot", "seed") + "," + label("instance", "eu-1");

    for (auto route : oauth2::request_routes()) {
        CHECK(has_line(scraped, series("discord_oauth2_request_duration_seconds_count",
                                       consts + "," + route_label(route), "0")));
        CHECK(has_line(scraped, series("discord_oauth2_request_duration_seconds_sum",
                                       consts + "," + route_label(route), "0")));
    }
    for (auto scope : scopes)
        CHECK(has_line(scraped, enum_series("discord_oauth2_rate_limit_waits_total", "scope", scope, "0", consts)));
    for (auto outcome : callback_outcomes)
        CHECK(has_line(scraped, enum_series("discord_oauth2_callbacks_total", "outcome", outcome, "0", consts)));
    for (auto outcome : refresh_outcomes)
        CHECK(has_line(scraped, enum_series("discord_oauth2_refreshes_total", "outcome", outcome, "0", consts)));
    for (auto type : oauth2::webhook_event_types())
        for (auto outcome : webhook_outcomes)
            CHECK(has_line(scraped, series("discord_oauth2_webhook_events_total",
                                           consts + "," + label("outcome", oauth2::to_string(outcome)) + "," +
                                               label("type", type),
                                           "0")));
    for (auto name : {"discord_oauth2_rate_limit_wait_seconds_total", "discord_oauth2_invalid_requests_window",
                      "discord_oauth2_links_created_total", "discord_oauth2_links_pending", "discord_oauth2_waiters",
                      "discord_oauth2_grants", "discord_oauth2_cluster_messages_dropped_total"})
        CHECK_MESSAGE(has_line(scraped, series(name, consts, "0")), name);
    // Up until a query says otherwise, as metrics_counters.
    CHECK(has_line(scraped, series("discord_oauth2_store_up", consts, "1")));
    CHECK(has_line(scraped, "# TYPE discord_oauth2_request_duration_seconds histogram"));
    CHECK(has_line(scraped, "# TYPE discord_oauth2_callbacks_total counter"));
    CHECK(has_line(scraped, "# TYPE discord_oauth2_waiters gauge"));
    CHECK(has_line(scraped, "# HELP discord_oauth2_links_created_total Authorization URLs made"));
    // A (route, status) pair appears with its first request.
    CHECK(scraped.find("discord_oauth2_requests_total") == std::string::npos);
    for (const auto& line : series_lines(scraped))
        CHECK_MESSAGE(line.find("{" + consts) != std::string::npos, line);
}

TEST_CASE("requests, waits, links, callbacks, refreshes, the store and webhook events as a scrape shows them")
{
    prometheus::Registry registry;
    oauth2::prometheus_metrics_options options;
    options.request_duration_buckets = {0.1, 1};
    auto observer = oauth2::make_prometheus_metrics(registry, options);
    auto [a, b] = two_routes();

    observer->request_finished(a, 200, 62500us); // durations a binary fraction of a second: exact sums
    observer->request_finished(a, 200, 250ms);
    observer->request_finished(a, 429, 500ms);
    observer->request_finished(b, 0, 2s);
    observer->request_finished(b, 700, 1s);
    observer->request_finished("GET /not/a/route/of/ours", 200, 125ms);
    observer->rate_limit_waited(oauth2::rate_limit_scope::bucket, 500ms);
    observer->rate_limit_waited(oauth2::rate_limit_scope::bucket, 1s);
    observer->rate_limit_waited(oauth2::rate_limit_scope::global, 250ms);
    observer->invalid_requests_changed(12);
    observer->link_created();
    observer->link_created();
    observer->links_pending_changed(3);
    observer->callback_answered(oauth2::callback_outcome::authorized);
    observer->callback_answered(oauth2::callback_outcome::authorized);
    observer->callback_answered(oauth2::callback_outcome::denied);
    observer->callback_answered(oauth2::callback_outcome::replay);
    observer->waiters_changed(4);
    observer->waiters_changed(-3); // changes add up: one waiter left
    observer->refresh_finished(oauth2::refresh_outcome::refreshed);
    observer->refresh_finished(oauth2::refresh_outcome::lost);
    observer->grants_counted(1234567);
    observer->store_reachable(false);
    auto known_type = std::string(oauth2::webhook_event_types()[0]);
    observer->webhook_event_received(known_type, oauth2::webhook_outcome::bad_signature);
    observer->webhook_event_received("NOT_AN_EVENT_TYPE", oauth2::webhook_outcome::accepted);
    observer->webhook_event_received("NOT_AN_EVENT_TYPE", oauth2::webhook_outcome::accepted);
    observer->cluster_message_dropped();
    auto scraped = scrape(registry);
    CAPTURE(scraped);

    auto requests = [&](std::string_view route, std::string_view status, std::string_view count) {
        return series("discord_oauth2_requests_total", route_label(route) + "," + label("status", status), count);
    };
    auto duration = [&](std::string_view suffix, std::string_view route, std::string_view le, std::string_view value) {
        auto labels = route_label(route) + (le.empty() ? "" : "," + label("le", le));
        return series("discord_oauth2_request_duration_seconds" + std::string(suffix), labels, value);
    };
    auto webhook = [&](std::string_view type, oauth2::webhook_outcome outcome, std::string_view count) {
        return series("discord_oauth2_webhook_events_total",
                      label("outcome", oauth2::to_string(outcome)) + "," + label("type", type), count);
    };
    using oauth2::callback_outcome;
    using oauth2::rate_limit_scope;
    using oauth2::refresh_outcome;
    using oauth2::webhook_outcome;
    const auto waits = "discord_oauth2_rate_limit_waits_total";
    const auto callbacks = "discord_oauth2_callbacks_total";
    const auto refreshes = "discord_oauth2_refreshes_total";
    const std::string expected[] = {
        requests(a, "200", "2"),
        requests(a, "429", "1"),
        requests(b, "error", "1"),
        requests(b, "other", "1"),
        requests("other", "200", "1"),
        duration("_count", a, "", "3"),
        duration("_sum", a, "", "0.8125"),
        duration("_bucket", a, "0.1", "1"),
        duration("_bucket", a, "1", "3"),
        duration("_bucket", a, "+Inf", "3"),
        duration("_count", b, "", "2"),
        duration("_sum", b, "", "3"),
        duration("_bucket", b, "1", "1"),
        duration("_bucket", b, "+Inf", "2"),
        duration("_count", "other", "", "1"),
        duration("_sum", "other", "", "0.125"),
        enum_series(waits, "scope", rate_limit_scope::bucket, "2"),
        enum_series(waits, "scope", rate_limit_scope::global, "1"),
        enum_series(waits, "scope", rate_limit_scope::shared, "0"),
        series("discord_oauth2_rate_limit_wait_seconds_total", "", "1.75"),
        series("discord_oauth2_invalid_requests_window", "", "12"),
        series("discord_oauth2_links_created_total", "", "2"),
        series("discord_oauth2_links_pending", "", "3"),
        enum_series(callbacks, "outcome", callback_outcome::authorized, "2"),
        enum_series(callbacks, "outcome", callback_outcome::denied, "1"),
        enum_series(callbacks, "outcome", callback_outcome::replay, "1"),
        enum_series(callbacks, "outcome", callback_outcome::failed, "0"),
        enum_series(callbacks, "outcome", callback_outcome::rate_limited, "0"),
        series("discord_oauth2_waiters", "", "1"),
        enum_series(refreshes, "outcome", refresh_outcome::refreshed, "1"),
        enum_series(refreshes, "outcome", refresh_outcome::lost, "1"),
        enum_series(refreshes, "outcome", refresh_outcome::failed, "0"),
        series("discord_oauth2_grants", "", "1234567"),
        series("discord_oauth2_store_up", "", "0"),
        webhook(known_type, webhook_outcome::bad_signature, "1"),
        webhook(known_type, webhook_outcome::accepted, "0"),
        webhook("other", webhook_outcome::accepted, "2"),
        series("discord_oauth2_cluster_messages_dropped_total", "", "1"),
    };
    for (const auto& line : expected)
        CHECK_MESSAGE(has_line(scraped, line), line);
    // Statuses appear as seen: these five pairs, no more; no label value that was not in a set.
    auto request_series = 0;
    for (const auto& line : series_lines(scraped))
        request_series += line.starts_with("discord_oauth2_requests_total{");
    CHECK(request_series == 5);
    CHECK(scraped.find("not/a/route") == std::string::npos);
    CHECK(scraped.find("NOT_AN_EVENT_TYPE") == std::string::npos);

    observer->store_reachable(true);
    CHECK(has_line(scrape(registry), series("discord_oauth2_store_up", "", "1")));
}

TEST_CASE("the overload without options: no const labels, the default buckets")
{
    prometheus::Registry registry;
    auto observer = oauth2::make_prometheus_metrics(registry);
    auto [a, b] = two_routes();
    observer->request_finished(a, 204, 30ms);
    auto scraped = scrape(registry);
    for (auto le : {"0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"})
        CHECK_MESSAGE(has_line(scraped, series("discord_oauth2_request_duration_seconds_bucket",
                                               route_label(a) + "," + label("le", le),
                                               std::string_view(le) == "0.025" ? "0" : "1")),
                      le);
    CHECK(has_line(scraped, series("discord_oauth2_requests_total", route_label(a) + "," + label("status", "204"), "1")));
    CHECK(has_line(scraped, series("discord_oauth2_links_created_total", "", "0")));
}

TEST_CASE("const labels and buckets that do not fit are refused before the registry is touched")
{
    prometheus::Registry registry;
    auto with_label = [&](std::string name) {
        return refusal_of([&] {
            oauth2::prometheus_metrics_options options;
            options.const_labels = {{name, "x"}};
            (void)oauth2::make_prometheus_metrics(registry, options);
        });
    };
    for (auto name : {"route", "status", "scope", "outcome", "type", "le", "__reserved", "1st", "with-dash", ""})
        CHECK_MESSAGE(with_label(name) == oauth2::errc::invalid_argument, name);
    auto with_buckets = [&](std::vector<double> buckets) {
        return refusal_of([&] {
            oauth2::prometheus_metrics_options options;
            options.request_duration_buckets = std::move(buckets);
            (void)oauth2::make_prometheus_metrics(registry, options);
        });
    };
    CHECK(with_buckets({1, 0.5}) == oauth2::errc::invalid_argument);
    CHECK(with_buckets({0.1, 0.1}) == oauth2::errc::invalid_argument);
    CHECK(with_buckets({0.1, std::nan("")}) == oauth2::errc::invalid_argument);
    CHECK(with_buckets({0.1, std::numeric_limits<double>::infinity()}) == oauth2::errc::invalid_argument);
    CHECK(registry.Collect().empty());
    // Any label value is text; no bucket at all leaves the +Inf one.
    oauth2::prometheus_metrics_options options;
    options.const_labels = {{"bot_name", "a \"quoted\"\\ name"}};
    options.request_duration_buckets = {};
    CHECK(oauth2::make_prometheus_metrics(registry, options));
    CHECK(has_line(scrape(registry), series("discord_oauth2_waiters", "bot_name=\"a \\\"quoted\\\"\\\\ name\"", "0")));
}

TEST_CASE("a registry that refuses a family is said as invalid_argument, naming it")
{
    prometheus::Registry taken;
    prometheus::BuildGauge().Name("discord_oauth2_callbacks_total").Help("not ours").Register(taken);
    try {
        (void)oauth2::make_prometheus_metrics(taken);
        FAIL("no error");
    } catch (const oauth2::error& e) {
        CHECK(e.code() == oauth2::errc::invalid_argument);
        CHECK(std::string(e.what()).find("discord_oauth2_callbacks_total") != std::string::npos);
    }

    prometheus::Registry strict(prometheus::Registry::InsertBehavior::Throw);
    (void)oauth2::make_prometheus_metrics(strict);
    CHECK(refusal_of([&] { (void)oauth2::make_prometheus_metrics(strict); }) == oauth2::errc::invalid_argument);
}

TEST_CASE("two observers in one registry: the same const labels share series, other ones are refused")
{
    prometheus::Registry registry;
    oauth2::prometheus_metrics_options first;
    first.const_labels = {{"instance", "1"}};
    oauth2::prometheus_metrics_options second;
    second.const_labels = {{"instance", "2"}};
    auto one = oauth2::make_prometheus_metrics(registry, first);
    auto again = oauth2::make_prometheus_metrics(registry, first);
    // prometheus-cpp registers a family's name once, whatever its const labels.
    CHECK(refusal_of([&] { (void)oauth2::make_prometheus_metrics(registry, second); }) ==
          oauth2::errc::invalid_argument);
    auto [a, b] = two_routes();
    one->link_created();
    again->link_created();
    one->request_finished(a, 200, 1ms);
    again->request_finished(a, 200, 1ms);
    auto scraped = scrape(registry);
    CHECK(has_line(scraped, series("discord_oauth2_links_created_total", label("instance", "1"), "2")));
    CHECK(has_line(scraped, series("discord_oauth2_requests_total",
                                   label("instance", "1") + "," + route_label(a) + "," + label("status", "200"), "2")));
    CHECK(scraped.find(label("instance", "2")) == std::string::npos);
}

TEST_CASE("4 threads at once, while Prometheus scrapes: every count adds up")
{
    prometheus::Registry registry;
    auto observer = oauth2::make_prometheus_metrics(registry);
    auto [a, b] = two_routes();
    constexpr int threads = 4;
    constexpr int rounds = 20000;
    std::latch start(threads + 1);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            start.arrive_and_wait();
            for (int i = 0; i < rounds; ++i) {
                // Each (route, status) pair a quarter of the rounds, all threads racing to its first.
                observer->request_finished(i % 2 == 0 ? a : b, i % 4 < 2 ? 200 : 503, 500ms);
                observer->rate_limit_waited(oauth2::rate_limit_scope::shared, 250ms);
                observer->callback_answered(oauth2::callback_outcome::authorized);
                observer->link_created();
                observer->webhook_event_received(i % 2 == 0 ? "NOT_AN_EVENT_TYPE" : "ALSO_NOT_ONE",
                                                 oauth2::webhook_outcome::accepted);
                observer->waiters_changed(t % 2 == 0 ? 1 : -1); // the four threads' changes cancel out
            }
        });
    start.arrive_and_wait();
    for (int i = 0; i < 20; ++i)
        (void)scrape(registry);
    for (auto& worker : workers)
        worker.join();
    auto scraped = scrape(registry);

    const auto pair = std::to_string(threads * rounds / 4);
    const auto all = std::to_string(threads * rounds);
    for (const auto& route : {a, b}) {
        for (auto status : {"200", "503"})
            CHECK(has_line(scraped, series("discord_oauth2_requests_total",
                                           route_label(route) + "," + label("status", status), pair)));
        CHECK(has_line(scraped, series("discord_oauth2_request_duration_seconds_count", route_label(route),
                                       std::to_string(threads * rounds / 2))));
        CHECK(has_line(scraped, series("discord_oauth2_request_duration_seconds_sum", route_label(route),
                                       std::to_string(threads * rounds / 4)))); // half the rounds, 0.5 s each
    }
    CHECK(has_line(scraped,
                   enum_series("discord_oauth2_rate_limit_waits_total", "scope", oauth2::rate_limit_scope::shared, all)));
    CHECK(has_line(scraped, series("discord_oauth2_rate_limit_wait_seconds_total", "", pair)));
    CHECK(has_line(scraped,
                   enum_series("discord_oauth2_callbacks_total", "outcome", oauth2::callback_outcome::authorized, all)));
    CHECK(has_line(scraped, series("discord_oauth2_links_created_total", "", all)));
    CHECK(has_line(scraped, series("discord_oauth2_webhook_events_total",
                                   label("outcome", oauth2::to_string(oauth2::webhook_outcome::accepted)) + "," +
                                       label("type", "other"),
                                   all)));
    CHECK(has_line(scraped, series("discord_oauth2_waiters", "", "0")));
}
