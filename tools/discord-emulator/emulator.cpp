#include "emulator_impl.hpp"

#include <discord/oauth2/error.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace discord::oauth2::emulator {

emulator::impl::impl(asio::any_io_executor ex, options o)
    : executor(std::move(ex)), opts(std::move(o)), world(std::move(opts.world)), limiter(opts.rate_limits)
{
    if (opts.auto_approve_user && !find_user(*opts.auto_approve_user))
        throw error(errc::invalid_argument,
                    fmt::format("auto-approve user {} is not in the seed", *opts.auto_approve_user));
    if (opts.code_ttl.count() <= 0 || opts.token_ttl.count() <= 0)
        throw error(errc::invalid_argument, "code and token lifetimes must be positive");
    // Every application signs its webhook events; a seed without a key gets a new pair.
    for (auto& a : world.applications) {
        if (!a.signing_key)
            a.signing_key = std::make_shared<const ed25519::signing_key>();
        a.verify_key = a.signing_key->public_key_hex();
    }
    if (!jws::parse_algorithm(opts.id_token_algorithm))
        throw error(errc::invalid_argument, "id_token_algorithm must be RS256, ES256 or EdDSA");
    events = std::make_unique<event_deliveries>(executor, opts.deliveries);
}

void emulator::impl::route(server::router& r, const std::string& method, const std::string& pattern,
                           server::handler h)
{
    auto key = method + " " + pattern;
    call_counts.emplace(key, 0);
    r.add(method, pattern,
          [this, key, method, pattern, h = std::move(h)](server::request& req) -> asio::awaitable<server::response> {
              ++call_counts[key];
              std::optional<server::response::delivery> after;
              std::vector<std::string> dropped;
              for (auto& f : opts.faults) {
                  if (!f.applies_to(method, pattern) || ++f.matched % f.every != 0)
                      continue;
                  if (f.probability < 1.0 && std::uniform_real_distribution<double>(0, 1)(random) >= f.probability)
                      continue;
                  switch (f.what) {
                  case fault::kind::latency: {
                      asio::steady_timer delay(executor, f.latency);
                      co_await delay.async_wait(asio::use_awaitable);
                      break;
                  }
                  case fault::kind::status:
                      co_return api_error(f.status, 0, fmt::format("{}: injected fault", f.status));
                  case fault::kind::reset_before: {
                      server::response lost;
                      lost.how = server::response::delivery::reset;
                      co_return lost;
                  }
                  case fault::kind::reset_after:
                      after = server::response::delivery::reset;
                      break;
                  case fault::kind::truncate:
                      after = server::response::delivery::truncate;
                      break;
                  case fault::kind::drop:
                      dropped.push_back(f.field);
                      break;
                  }
              }
              auto resp = co_await h(req);
              if (after)
                  resp.how = *after;
              for (const auto& field : dropped)
                  resp.body = without_field(resp.body, field);
              co_return resp;
          });
}

namespace {

// The path parameter holding a route's major parameter (Discord splits buckets by it): the
// guild, channel or webhook the path starts with under /api or /api/vN; empty when none.
std::string major_parameter_of(std::string_view pattern)
{
    if (!pattern.starts_with("/api"))
        return {};
    pattern.remove_prefix(4);
    if (pattern.starts_with("/v") && pattern.size() > 2 && std::isdigit(static_cast<unsigned char>(pattern[2])))
        pattern.remove_prefix(std::min(pattern.find('/', 1), pattern.size()));
    for (auto [prefix, name] : {std::pair{"/guilds/{", "guild"}, {"/channels/{", "channel"}, {"/webhooks/{", "webhook"}})
        if (pattern.starts_with(prefix))
            return name;
    return {};
}

} // namespace

void emulator::impl::api_route(server::router& r, const std::string& method, const std::string& pattern,
                               std::string bucket, server::handler h)
{
    auto major = major_parameter_of(pattern);
    route(r, method, pattern,
          [this, bucket = std::move(bucket), major = std::move(major),
           h = std::move(h)](server::request& req) -> asio::awaitable<server::response> {
              std::optional<rate_limiter::decision> d;
              if (limiter.enabled()) {
                  auto resource = major.empty() ? std::nullopt : req.path_param(major);
                  d = limiter.check(bucket, req.fields.find("authorization").value_or(""), resource.value_or(""),
                                    now());
                  if (!d->allowed) {
                      ++invalid_requests;
                      json::writer w;
                      w.begin_object()
                          .field("message", "You are being rate limited.")
                          .field("retry_after", std::round(d->retry_after * 1000) / 1000)
                          .field("global", d->global)
                          .field("code", 0) // Discord's spec requires it; its examples omit it
                          .end_object();
                      auto limited = json_response(429, w.take());
                      limited.fields.add("Retry-After", std::to_string(static_cast<long>(std::ceil(d->retry_after))));
                      if (d->global) {
                          limited.fields.add("X-RateLimit-Global", "true");
                          limited.fields.add("X-RateLimit-Scope", "global");
                      } else {
                          limited.fields.add("X-RateLimit-Limit", std::to_string(d->limit));
                          limited.fields.add("X-RateLimit-Remaining", "0");
                          limited.fields.add("X-RateLimit-Reset", fmt::format("{:.3f}", d->reset_at));
                          limited.fields.add("X-RateLimit-Reset-After", fmt::format("{:.3f}", d->reset_after));
                          limited.fields.add("X-RateLimit-Bucket", d->bucket);
                          limited.fields.add("X-RateLimit-Scope", "user");
                      }
                      co_return limited;
                  }
              }
              auto resp = co_await h(req);
              if (resp.status == 401 || resp.status == 403)
                  ++invalid_requests;
              if (d) {
                  resp.fields.add("X-RateLimit-Limit", std::to_string(d->limit));
                  resp.fields.add("X-RateLimit-Remaining", std::to_string(d->remaining));
                  resp.fields.add("X-RateLimit-Reset", fmt::format("{:.3f}", d->reset_at));
                  resp.fields.add("X-RateLimit-Reset-After", fmt::format("{:.3f}", d->reset_after));
                  resp.fields.add("X-RateLimit-Bucket", d->bucket);
              }
              co_return resp;
          });
}

const application* emulator::impl::find_application(snowflake id) const
{
    for (const auto& a : world.applications)
        if (a.id == id)
            return &a;
    return nullptr;
}

application* emulator::impl::find_application(snowflake id)
{
    for (auto& a : world.applications)
        if (a.id == id)
            return &a;
    return nullptr;
}

const user* emulator::impl::find_user(snowflake id) const
{
    for (const auto& u : world.users)
        if (u.id == id)
            return &u;
    return nullptr;
}

guild* emulator::impl::find_guild(snowflake id)
{
    for (auto& g : world.guilds)
        if (g.id == id)
            return &g;
    return nullptr;
}

std::string emulator::impl::base_url() const
{
    auto host = opts.host.find(':') != std::string::npos ? "[" + opts.host + "]" : opts.host;
    return fmt::format("{}://{}:{}", opts.tls ? "https" : "http", host, http ? http->port() : 0);
}

emulator::emulator(asio::any_io_executor executor, options opts)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(opts)))
{
}

emulator::~emulator()
{
    stop();
}

void emulator::start()
{
    auto& e = *impl_;
    server::router routes;
    add_oauth_routes(e, routes);
    add_authorize_routes(e, routes);
    add_api_routes(e, routes);
    add_guild_join_routes(e, routes);
    add_application_routes(e, routes);
    add_role_connection_routes(e, routes);
    add_authorized_apps_routes(e, routes);
    add_role_metadata_routes(e, routes);
    add_command_permission_routes(e, routes);
    add_group_dm_routes(e, routes);
    add_device_routes(e, routes);
    add_openid_routes(e, routes);
    add_introspection_routes(e, *this, routes);

    server::server_options so;
    so.addresses = {e.opts.host};
    so.port = e.opts.port;
    so.limits = e.opts.limits;
    if (e.opts.tls) {
        auto dir = e.opts.tls_directory;
        if (dir.empty()) {
            // A fresh directory of our own (mode 700, a name nobody could have guessed and
            // planted first), not a predictable one in the shared temporary directory.
            auto pattern = (std::filesystem::temp_directory_path() / "discord-emulator-XXXXXX").string();
            if (!::mkdtemp(pattern.data()))
                throw error(errc::invalid_argument, "cannot make a directory for the emulator's certificate");
            dir = pattern;
        } else {
            std::filesystem::create_directories(dir);
        }
        e.certificate = tls::write_self_signed_certificate(dir);
        so.tls = server::tls_files{e.certificate->certificate_file, e.certificate->private_key_file};
    }
    e.http = std::make_unique<server::server>(e.executor, std::move(routes), so);
    e.http->start();
}

void emulator::stop()
{
    impl_->events->stop();
    if (impl_->http)
        impl_->http->stop();
}

std::vector<delivery_record> emulator::deliveries() const
{
    return impl_->events->records();
}

std::string emulator::url() const
{
    return impl_->base_url();
}

std::optional<std::string> emulator::ca_file() const
{
    if (!impl_->certificate)
        return std::nullopt;
    return impl_->certificate->certificate_file;
}

std::string emulator::ready_line() const
{
    const auto& e = *impl_;
    json::writer w;
    w.begin_object().field("url", url());
    w.key("ca_file");
    if (auto ca = ca_file())
        w.value(*ca);
    else
        w.null();
    w.key("applications").begin_array();
    for (const auto& a : e.world.applications) {
        w.begin_object().field("client_id", to_string(a.id)).field("name", a.name);
        w.key("client_secret");
        if (a.client_secret.empty())
            w.null();
        else
            w.value(a.client_secret);
        w.key("redirect_uris").begin_array();
        for (const auto& uri : a.redirect_uris)
            w.value(uri);
        w.end_array();
        w.key("bot_token");
        if (a.bot_token.empty())
            w.null();
        else
            w.value(a.bot_token);
        w.field("public_client", a.public_client).field("verify_key", a.verify_key);
        w.key("commands").begin_array();
        for (const auto& c : a.commands) {
            w.begin_object().field("id", to_string(c.id)).field("name", c.name);
            if (c.guild_id)
                w.field("guild_id", to_string(*c.guild_id));
            w.end_object();
        }
        w.end_array().end_object();
    }
    w.end_array().key("users").begin_array();
    for (const auto& u : e.world.users)
        if (!u.bot)
            w.begin_object().field("id", to_string(u.id)).field("username", u.username).end_object();
    w.end_array().end_object();
    return w.take();
}

const grant_book& emulator::grants() const noexcept
{
    return impl_->book;
}

const world_data& emulator::world() const noexcept
{
    return impl_->world;
}

void emulator::add_fault(fault f)
{
    impl_->opts.faults.push_back(std::move(f));
}

void emulator::clear_faults()
{
    impl_->opts.faults.clear();
}

void emulator::reset()
{
    auto& e = *impl_;
    e.book = grant_book{};
    e.role_connections.clear();
    e.command_permissions.clear();
    e.channels.clear();
    e.limiter.reset();
    e.invalid_requests = 0;
    for (auto& [route, count] : e.call_counts)
        count = 0;
}

std::uint64_t emulator::invalid_requests() const noexcept
{
    return impl_->invalid_requests;
}

std::uint64_t emulator::calls(const std::string& route) const
{
    auto it = impl_->call_counts.find(route);
    return it == impl_->call_counts.end() ? 0 : it->second;
}

server::response json_response(int status, std::string body)
{
    return server::response::json(status, std::move(body));
}

server::response oauth_error(int status, std::string_view error, std::string_view description)
{
    json::writer w;
    w.begin_object().field("error", error);
    if (!description.empty())
        w.field("error_description", description);
    w.end_object();
    return json_response(status, w.take());
}

server::response api_error(int status, int code, std::string_view message)
{
    json::writer w;
    w.begin_object().field("message", message).field("code", code).end_object();
    return json_response(status, w.take());
}

server::response unauthorized()
{
    return api_error(401, 0, "401: Unauthorized");
}

server::response invalid_form_body(std::string_view field, std::string_view code, std::string_view message)
{
    json::writer w;
    w.begin_object().field("message", "Invalid Form Body").field("code", 50035).key("errors").begin_object();
    // "0.key" nests as Discord nests an array element's field: {"0": {"key": {"_errors": ...}}}.
    int depth = 0;
    for (std::size_t start = 0;;) {
        auto dot = field.find('.', start);
        w.key(field.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start)).begin_object();
        ++depth;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    w.key("_errors").begin_array().begin_object().field("code", code).field("message", message).end_object().end_array();
    while (depth-- > 0)
        w.end_object();
    w.end_object().end_object();
    return json_response(400, w.take());
}

const grant* bearer_grant(const emulator::impl& e, const server::request& req)
{
    auto auth = req.fields.find("authorization");
    if (!auth || !auth->starts_with("Bearer "))
        return nullptr;
    return e.book.by_access_token(std::string(auth->substr(7)), e.now());
}

std::optional<snowflake> parse_snowflake(std::string_view text)
{
    if (text.empty() || text.size() > 20 || (text.size() > 1 && text.front() == '0'))
        return std::nullopt;
    snowflake v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return v;
}

snowflake emulator::impl::new_snowflake()
{
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
    auto since_2015 = static_cast<std::uint64_t>(ms) - 1420070400000ULL;
    return (since_2015 << 22) | (snowflake_increment++ & 0xFFF);
}

std::string to_string(snowflake id)
{
    return std::to_string(id);
}

std::string iso8601(clock::time_point t)
{
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}+00:00", std::chrono::floor<std::chrono::seconds>(t), micros);
}

bool is_known_scope(std::string_view scope)
{
    static constexpr std::string_view known[] = {
        "activities.read", "activities.write", "applications.builds.read", "applications.builds.upload",
        "applications.commands", "applications.commands.update", "applications.commands.permissions.update",
        "applications.entitlements", "applications.store.update", "bot", "connections", "dm_channels.read",
        "email", "gdm.join", "guilds", "guilds.join", "guilds.members.read", "identify", "identify.premium",
        "messages.read", "openid", "relationships.read", "role_connections.write", "rpc", "rpc.activities.write",
        "rpc.notifications.read", "rpc.voice.read", "rpc.voice.write", "voice", "webhook.incoming",
        "sdk.social_layer", "sdk.social_layer_presence",
    };
    for (auto k : known)
        if (k == scope)
            return true;
    return false;
}

std::vector<std::string> split_scopes(std::string_view text)
{
    std::vector<std::string> out;
    while (!text.empty()) {
        auto space = text.find(' ');
        auto item = text.substr(0, space);
        if (!item.empty() && !has_scope(out, item))
            out.emplace_back(item);
        if (space == std::string_view::npos)
            break;
        text.remove_prefix(space + 1);
    }
    return out;
}

std::string join_scopes(const std::vector<std::string>& scopes)
{
    std::string out;
    for (const auto& s : scopes) {
        if (!out.empty())
            out += ' ';
        out += s;
    }
    return out;
}

bool has_scope(const std::vector<std::string>& scopes, std::string_view scope)
{
    for (const auto& s : scopes)
        if (s == scope)
            return true;
    return false;
}

} // namespace discord::oauth2::emulator
