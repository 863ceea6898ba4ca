// /_emulator/...: what tests and scripts may look at or change while the emulator runs.
//   GET  /_emulator/state   calls per route, invalid requests, live grants with their tokens
//   POST /_emulator/reset   forget codes, grants, role connections, counters and windows
//   POST /_emulator/faults  add a fault (the body is a spec, see faults.hpp); DELETE removes all
#include "emulator_impl.hpp"

#include <discord/oauth2/error.hpp>

namespace discord::oauth2::emulator {
namespace {

using server::request;
using server::response;

asio::awaitable<response> state(emulator::impl& e, request&)
{
    json::writer w;
    w.begin_object().key("calls").begin_object();
    std::vector<std::pair<std::string, std::uint64_t>> calls(e.call_counts.begin(), e.call_counts.end());
    std::sort(calls.begin(), calls.end());
    for (const auto& [route, count] : calls)
        if (count)
            w.field(route, count);
    w.end_object()
        .field("invalid_requests", e.invalid_requests)
        .field("codes_outstanding", static_cast<std::uint64_t>(e.book.codes_outstanding()))
        .key("grants").begin_array();
    std::vector<const grant*> grants;
    for (const auto& [id, g] : e.book.grants())
        grants.push_back(&g);
    std::sort(grants.begin(), grants.end(), [](const grant* a, const grant* b) { return a->id < b->id; });
    for (const auto* g : grants) {
        w.begin_object()
            .field("id", g->id)
            .field("application_id", to_string(g->application_id))
            .field("user_id", to_string(g->user_id))
            .field("scopes", join_scopes(g->scopes))
            .field("access_token", g->access_token);
        w.key("refresh_token");
        if (g->refresh_token.empty())
            w.null();
        else
            w.value(g->refresh_token);
        w.field("expires", iso8601(g->expires_at)).field("refreshes", g->refreshes).end_object();
    }
    w.end_array().end_object();
    co_return json_response(200, w.take());
}

} // namespace

void add_introspection_routes(emulator::impl& e, emulator& owner, server::router& r)
{
    e.route(r, "GET", "/_emulator/state", [&e](request& req) { return state(e, req); });
    e.route(r, "POST", "/_emulator/reset", [&owner](request&) -> asio::awaitable<response> {
        owner.reset();
        co_return response{.status = 204};
    });
    e.route(r, "POST", "/_emulator/faults", [&owner](request& req) -> asio::awaitable<response> {
        try {
            owner.add_fault(fault::parse(req.body));
        } catch (const error& failure) {
            co_return api_error(400, 50035, failure.what());
        }
        co_return response{.status = 204};
    });
    e.route(r, "DELETE", "/_emulator/faults", [&owner](request&) -> asio::awaitable<response> {
        owner.clear_faults();
        co_return response{.status = 204};
    });
}

} // namespace discord::oauth2::emulator
