// make_prometheus_metrics (prometheus.hpp): a metrics_observer that updates prometheus-cpp
// families in the bot's registry. In discord-oauth2-prometheus, a library of its own, so that
// the core library never links prometheus-cpp.
//
// Every series of a fixed label set is made here, up front, so that a scrape shows it at 0
// before anything happened (an alert on a counter's increase then sees its first one). A request
// to Discord is counted on every request, so its path takes no lock of prometheus-cpp's family:
// each route's histogram is found by index, and its (route, status) counter in a table of atomic
// pointers, one per route and status; only a pair's first request adds its series to the family
// (Family::Add, which locks, and returns the same series to threads that race to add it).
#include <discord/oauth2/prometheus.hpp>

#include <discord/oauth2/error.hpp>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <functional>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace discord::oauth2 {
namespace {

// Every value of each enum, in the order of their values (checked below), each one a series.
constexpr rate_limit_scope all_scopes[] = {rate_limit_scope::bucket, rate_limit_scope::global,
                                           rate_limit_scope::shared};
constexpr callback_outcome all_callback_outcomes[] = {
    callback_outcome::authorized, callback_outcome::denied,          callback_outcome::invalid_state,
    callback_outcome::expired,    callback_outcome::replay,          callback_outcome::refused_account,
    callback_outcome::rate_limited, callback_outcome::code_refused, callback_outcome::failed};
constexpr refresh_outcome all_refresh_outcomes[] = {refresh_outcome::refreshed, refresh_outcome::lost,
                                                    refresh_outcome::failed};
constexpr webhook_outcome all_webhook_outcomes[] = {
    webhook_outcome::accepted, webhook_outcome::replay,    webhook_outcome::bad_signature, webhook_outcome::stale,
    webhook_outcome::malformed, webhook_outcome::too_large, webhook_outcome::unavailable};

template <class Enum, std::size_t N>
constexpr bool in_value_order(const Enum (&values)[N])
{
    for (std::size_t i = 0; i < N; ++i)
        if (static_cast<std::size_t>(values[i]) != i)
            return false;
    return true;
}
static_assert(in_value_order(all_scopes) && in_value_order(all_callback_outcomes) &&
              in_value_order(all_refresh_outcomes) && in_value_order(all_webhook_outcomes));
// metrics_counters keeps one count per value: a value added to an enum shows here.
static_assert(std::size(all_scopes) == std::tuple_size_v<decltype(metrics_snapshot::rate_limit_waits)>);
static_assert(std::size(all_callback_outcomes) == std::tuple_size_v<decltype(metrics_snapshot::callbacks)>);
static_assert(std::size(all_refresh_outcomes) == std::tuple_size_v<decltype(metrics_snapshot::refreshes)>);

// The index of an enum's value among its series, or N for a value outside the enum (not counted).
template <class Enum, std::size_t N>
std::size_t index_of(Enum value, const Enum (&)[N]) noexcept
{
    auto i = static_cast<std::size_t>(value);
    return i < N ? i : N;
}

// The label names of the families' own series (and the histogram's bucket label): a constant
// label of one of these names would be repeated in a series.
constexpr std::string_view own_label_names[] = {"route", "status", "scope", "outcome", "type", "le"};

constexpr std::string_view other = "other";

// A request's status slot: 0 for no answer, one for each of 100 to 599, then one for the rest.
constexpr int lowest_status = 100;
constexpr int highest_status = 599;
constexpr std::size_t error_slot = 0;
constexpr std::size_t other_status_slot = highest_status - lowest_status + 2;
constexpr std::size_t status_slots = other_status_slot + 1;

std::size_t status_slot(int status) noexcept
{
    if (status == 0)
        return error_slot;
    if (status < lowest_status || status > highest_status)
        return other_status_slot;
    return static_cast<std::size_t>(status - lowest_status) + 1;
}

std::string status_label(std::size_t slot)
{
    if (slot == error_slot)
        return "error";
    if (slot == other_status_slot)
        return std::string(other);
    return std::to_string(lowest_status + static_cast<int>(slot) - 1);
}

struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// A closed set of label values (request_routes(), webhook_event_types()), "other" among them,
// and the index of each.
class label_set {
public:
    explicit label_set(std::span<const std::string_view> names)
    {
        for (auto name : names)
            add(name);
        other_ = add(other);
    }

    [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }
    [[nodiscard]] const std::string& name(std::size_t i) const noexcept { return names_[i]; }

    // The index of `name`, or of "other" when it is not in the set.
    [[nodiscard]] std::size_t index(std::string_view name) const noexcept
    {
        auto found = index_.find(name);
        return found == index_.end() ? other_ : found->second;
    }

private:
    std::size_t add(std::string_view name)
    {
        auto [at, added] = index_.try_emplace(std::string(name), names_.size());
        if (added)
            names_.emplace_back(name);
        return at->second;
    }

    std::vector<std::string> names_;
    std::unordered_map<std::string, std::size_t, text_hash, std::equal_to<>> index_;
    std::size_t other_ = 0;
};

bool is_label_name(std::string_view name) noexcept
{
    auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    return !name.empty() && letter(name.front()) && !name.starts_with("__") &&
           std::all_of(name.begin(), name.end(), [&](char c) { return letter(c) || digit(c); });
}

void check_options(const prometheus_metrics_options& options)
{
    for (const auto& [name, value] : options.const_labels) {
        if (!is_label_name(name))
            throw error(errc::invalid_argument,
                        "prometheus_metrics_options::const_labels: \"" + name +
                            "\" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with \"__\")");
        if (std::find(std::begin(own_label_names), std::end(own_label_names), name) != std::end(own_label_names))
            throw error(errc::invalid_argument, "prometheus_metrics_options::const_labels: \"" + name +
                                                    "\" is a label of the families' own series");
    }
    const auto& buckets = options.request_duration_buckets;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        if (!std::isfinite(buckets[i]))
            throw error(errc::invalid_argument,
                        "prometheus_metrics_options::request_duration_buckets: bucket " + std::to_string(i) +
                            " is not a finite number (the +Inf bucket is always added)");
        if (i > 0 && !(buckets[i - 1] < buckets[i]))
            throw error(errc::invalid_argument,
                        "prometheus_metrics_options::request_duration_buckets: bucket " + std::to_string(i) +
                            " is not above the one before (the bounds must be strictly increasing)");
    }
}

template <class Metric>
using family = prometheus::Family<Metric>;

// One family in the registry, a registry's refusal said as the library's error.
template <class Metric>
family<Metric>& make_family(prometheus::Registry& registry, const std::string& name, const std::string& help,
                            const prometheus::Labels& const_labels)
{
    auto builder = [] {
        if constexpr (std::is_same_v<Metric, prometheus::Counter>)
            return prometheus::BuildCounter();
        else if constexpr (std::is_same_v<Metric, prometheus::Gauge>)
            return prometheus::BuildGauge();
        else
            return prometheus::BuildHistogram();
    }();
    try {
        return builder.Name(name).Help(help).Labels(const_labels).Register(registry);
    } catch (const std::invalid_argument& e) {
        throw error(errc::invalid_argument, "the prometheus registry refused the family " + name + ": " + e.what());
    }
}

class prometheus_metrics final : public metrics_observer {
public:
    prometheus_metrics(prometheus::Registry& registry, const prometheus_metrics_options& options)
        : routes_(request_routes()), webhook_types_(webhook_event_types())
    {
        const auto& labels = options.const_labels;
        auto counters = [&](const std::string& name, const std::string& help) -> family<prometheus::Counter>& {
            return make_family<prometheus::Counter>(registry, name, help, labels);
        };
        auto counter = [&](const std::string& name, const std::string& help) { return &counters(name, help).Add({}); };
        auto gauge = [&](const std::string& name, const std::string& help) {
            return &make_family<prometheus::Gauge>(registry, name, help, labels).Add({});
        };
        // A series per value of an enum, labelled with its to_string.
        auto per_value = [](family<prometheus::Counter>& f, const std::string& label, const auto& values, auto& series) {
            for (auto value : values)
                series[index_of(value, values)] = &f.Add({{label, std::string(to_string(value))}});
        };

        requests_ = &counters("discord_oauth2_requests_total",
                              "Requests to Discord, by route and HTTP status of the answer (\"error\": no answer came)");
        request_counters_ = std::make_unique<std::atomic<prometheus::Counter*>[]>(routes_.size() * status_slots);
        auto& durations =
            make_family<prometheus::Histogram>(registry, "discord_oauth2_request_duration_seconds",
                                               "Time from sending a request to Discord to its answer, by route", labels);
        durations_.reserve(routes_.size());
        for (std::size_t r = 0; r < routes_.size(); ++r)
            durations_.push_back(&durations.Add({{"route", routes_.name(r)}}, options.request_duration_buckets));

        per_value(counters("discord_oauth2_rate_limit_waits_total",
                           "Waits before sending a request to Discord, for one of its rate limits, by the limit's scope"),
                  "scope", all_scopes, rate_limit_waits_);
        rate_limit_wait_seconds_ = counter("discord_oauth2_rate_limit_wait_seconds_total",
                                           "Time spent waiting for Discord's rate limits, added up");
        invalid_requests_ = gauge("discord_oauth2_invalid_requests_window",
                                  "Invalid requests (401, 403, 429 but shared ones) in Discord's current 10-minute "
                                  "window; Discord bans the address past 10000");

        links_created_ = counter("discord_oauth2_links_created_total", "Authorization URLs made");
        links_pending_ = gauge("discord_oauth2_links_pending", "Links neither answered by a callback nor expired");
        per_value(counters("discord_oauth2_callbacks_total", "Callbacks at the redirect URI, by how they ended"),
                  "outcome", all_callback_outcomes, callbacks_);
        waiters_ = gauge("discord_oauth2_waiters", "Waits for a link's access token (wait_for_access_token) under way");

        per_value(counters("discord_oauth2_refreshes_total", "Refreshes of stored grants, by how they ended"),
                  "outcome", all_refresh_outcomes, refreshes_);
        grants_ = gauge("discord_oauth2_grants", "Grants in the token store, as last counted");
        store_up_ = gauge("discord_oauth2_store_up", "1 when the token store answered its last query, 0 when not");
        store_up_->Set(1); // as metrics_counters: up until a query says otherwise

        auto& webhook_events = counters("discord_oauth2_webhook_events_total",
                                        "Requests at the webhook events endpoint, by event type and what became of them");
        webhook_events_.reserve(webhook_types_.size() * std::size(all_webhook_outcomes));
        for (std::size_t t = 0; t < webhook_types_.size(); ++t)
            for (auto outcome : all_webhook_outcomes)
                webhook_events_.push_back(&webhook_events.Add(
                    {{"type", webhook_types_.name(t)}, {"outcome", std::string(to_string(outcome))}}));
        cluster_dropped_ = counter("discord_oauth2_cluster_messages_dropped_total",
                                   "Cluster messages refused: not from an instance holding the state key, replayed, "
                                   "too old or malformed");
    }

    void request_finished(std::string_view route, int status, std::chrono::nanoseconds took) noexcept override
    {
        auto r = routes_.index(route);
        durations_[r]->Observe(std::max(0.0, std::chrono::duration<double>(took).count()));
        if (auto* counter = request_counter(r, status_slot(status)))
            counter->Increment();
    }

    void rate_limit_waited(rate_limit_scope scope, std::chrono::nanoseconds waited) noexcept override
    {
        auto i = index_of(scope, all_scopes);
        if (i == rate_limit_waits_.size())
            return;
        rate_limit_waits_[i]->Increment();
        rate_limit_wait_seconds_->Increment(std::chrono::duration<double>(waited).count());
    }

    void invalid_requests_changed(std::size_t count) noexcept override
    {
        invalid_requests_->Set(static_cast<double>(count));
    }

    void link_created() noexcept override { links_created_->Increment(); }

    void links_pending_changed(std::int64_t delta) noexcept override { links_pending_->Increment(static_cast<double>(delta)); }

    void callback_answered(callback_outcome outcome) noexcept override
    {
        auto i = index_of(outcome, all_callback_outcomes);
        if (i < callbacks_.size())
            callbacks_[i]->Increment();
    }

    void waiters_changed(std::int64_t delta) noexcept override { waiters_->Increment(static_cast<double>(delta)); }

    void refresh_finished(refresh_outcome outcome) noexcept override
    {
        auto i = index_of(outcome, all_refresh_outcomes);
        if (i < refreshes_.size())
            refreshes_[i]->Increment();
    }

    void grants_counted(std::size_t count) noexcept override { grants_->Set(static_cast<double>(count)); }

    void store_reachable(bool answered) noexcept override { store_up_->Set(answered ? 1 : 0); }

    void webhook_event_received(std::string_view type, webhook_outcome outcome) noexcept override
    {
        constexpr auto outcomes = std::size(all_webhook_outcomes);
        auto o = index_of(outcome, all_webhook_outcomes);
        if (o < outcomes)
            webhook_events_[webhook_types_.index(type) * outcomes + o]->Increment();
    }

    void cluster_message_dropped() noexcept override { cluster_dropped_->Increment(); }

private:
    // The counter of a route and status slot, added to the family on the pair's first request;
    // null when it could not be added (out of memory: that request goes uncounted).
    prometheus::Counter* request_counter(std::size_t route, std::size_t slot) noexcept
    {
        auto& cell = request_counters_[route * status_slots + slot];
        if (auto* counter = cell.load(std::memory_order_acquire))
            return counter;
        try {
            // Threads racing here get the same series from Family::Add, and store the same pointer.
            auto* counter = &requests_->Add({{"route", routes_.name(route)}, {"status", status_label(slot)}});
            cell.store(counter, std::memory_order_release);
            return counter;
        } catch (...) {
            return nullptr;
        }
    }

    label_set routes_;        // request_routes(), "other" among them
    label_set webhook_types_; // webhook_event_types(), "other" among them
    family<prometheus::Counter>* requests_ = nullptr;
    std::unique_ptr<std::atomic<prometheus::Counter*>[]> request_counters_; // [route * status_slots + slot]
    std::vector<prometheus::Histogram*> durations_;                          // by route
    std::array<prometheus::Counter*, std::size(all_scopes)> rate_limit_waits_{};
    prometheus::Counter* rate_limit_wait_seconds_ = nullptr;
    prometheus::Gauge* invalid_requests_ = nullptr;
    prometheus::Counter* links_created_ = nullptr;
    prometheus::Gauge* links_pending_ = nullptr;
    std::array<prometheus::Counter*, std::size(all_callback_outcomes)> callbacks_{};
    prometheus::Gauge* waiters_ = nullptr;
    std::array<prometheus::Counter*, std::size(all_refresh_outcomes)> refreshes_{};
    prometheus::Gauge* grants_ = nullptr;
    prometheus::Gauge* store_up_ = nullptr;
    std::vector<prometheus::Counter*> webhook_events_; // [type * outcomes + outcome]
    prometheus::Counter* cluster_dropped_ = nullptr;
};

} // namespace

std::shared_ptr<metrics_observer> make_prometheus_metrics(prometheus::Registry& registry,
                                                          prometheus_metrics_options options)
{
    check_options(options);
    return std::make_shared<prometheus_metrics>(registry, options);
}

std::shared_ptr<metrics_observer> make_prometheus_metrics(prometheus::Registry& registry)
{
    return make_prometheus_metrics(registry, prometheus_metrics_options{});
}

} // namespace discord::oauth2
