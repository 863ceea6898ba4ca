#include "commands.hpp"

#include "model_json.hpp"
#include "serve.hpp"
#include "terminal_qr.hpp"

#include "client/role_metadata.hpp"
#include "json/decode.hpp"
#include "json/writer.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/grant_transfer.hpp>
#include <discord/oauth2/refresher.hpp>
#include <discord/oauth2/web_server.hpp>

#include <asio/this_coro.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

extern char** environ;

namespace cli {
namespace {

using oauth2::json::writer;

template <class T>
std::string to_json(const T& value)
{
    writer w;
    write(w, value);
    return w.take() + "\n";
}

std::string require_redirect_uri(const invocation& in)
{
    if (in.client.config().redirect_uri.empty())
        throw usage_error("the redirect URI is missing: pass --redirect-uri or set DISCORD_REDIRECT_URI");
    return in.client.config().redirect_uri;
}

const oauth2::access_token& bearer(invocation& in)
{
    if (in.bearer_token)
        return *in.bearer_token;
    auto t = secret_setting(in.args, in.env, "access-token");
    if (!t)
        throw usage_error("this command needs an access token: set DISCORD_ACCESS_TOKEN, or pass --access-token - "
                          "(stdin) or --access-token @FILE");
    oauth2::access_token token;
    token.token = oauth2::secret(*t);
    in.bearer_token = std::move(token);
    return *in.bearer_token;
}

std::vector<std::string> scopes(const invocation& in)
{
    auto s = in.args.list("scope");
    if (s.empty())
        throw usage_error("--scope is required (one or more scopes, e.g. --scope identify email)");
    return s;
}

// A secret the command needs: the option (`-` for stdin, `@FILE`) or its variable.
oauth2::secret required_secret(const invocation& in, std::string_view name)
{
    auto v = secret_setting(in.args, in.env, name);
    if (!v)
        for (const auto& o : secret_options)
            if (o.name == name)
                throw usage_error("--" + std::string(name) + " is required (or set " + o.variable + ")");
    if (!v)
        throw usage_error("--" + std::string(name) + " is required");
    return oauth2::secret(std::move(*v));
}

int limit_option(const invocation& in)
{
    auto v = in.args.value("limit");
    if (!v)
        return 200;
    int n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > 200)
        throw usage_error("--limit must be a whole number from 1 to 200");
    return n;
}

asio::awaitable<std::string> url_command(invocation& in)
{
    require_redirect_uri(in);
    oauth2::authorization_request r;
    r.scopes = scopes(in);
    r.state = in.args.value("state").value_or("");
    r.prompt = in.args.value("prompt").value_or("");
    r.pkce = in.args.has("pkce");
    auto link = in.client.authorization_url(r);
    if (!link.code_verifier)
        co_return link.url + "\n";
    writer w;
    w.begin_object()
        .field("url", link.url)
        .field("state", link.state)
        .field("code_verifier", link.code_verifier->reveal())
        .end_object();
    co_return w.take() + "\n";
}

asio::awaitable<std::string> exchange_command(invocation& in)
{
    require_redirect_uri(in);
    std::optional<oauth2::secret> verifier;
    if (auto v = secret_setting(in.args, in.env, "code-verifier"))
        verifier = oauth2::secret(std::move(*v));
    auto code = required_secret(in, "code");
    auto token = co_await in.client.exchange_code(code.reveal(), std::move(verifier));
    co_return to_json(token);
}

asio::awaitable<std::string> refresh_command(invocation& in)
{
    auto token = co_await in.client.refresh(required_secret(in, "refresh-token"));
    co_return to_json(token);
}

asio::awaitable<std::string> revoke_command(invocation& in)
{
    auto hint = oauth2::token_type_hint::none;
    if (auto h = in.args.value("hint")) {
        if (*h == "access_token")
            hint = oauth2::token_type_hint::access_token;
        else if (*h == "refresh_token")
            hint = oauth2::token_type_hint::refresh_token;
        else
            throw usage_error("--hint must be access_token or refresh_token");
    }
    co_await in.client.revoke(required_secret(in, "token"), hint);
    co_return "{\"revoked\":true}\n";
}

asio::awaitable<std::string> client_credentials_command(invocation& in)
{
    auto token = co_await in.client.client_credentials(scopes(in));
    co_return to_json(token);
}

asio::awaitable<std::string> authorization_command(invocation& in)
{
    auto info = co_await in.client.get_authorization_info(bearer(in));
    co_return to_json(info);
}

asio::awaitable<std::string> me_command(invocation& in)
{
    auto me = co_await in.client.get_current_user(bearer(in));
    co_return to_json(me);
}

asio::awaitable<std::string> connections_command(invocation& in)
{
    auto connections = co_await in.client.get_connections(bearer(in));
    co_return to_json(connections);
}

asio::awaitable<std::string> guilds_command(invocation& in)
{
    oauth2::guild_page page;
    page.limit = limit_option(in);
    page.with_counts = in.args.has("with-counts");
    if (in.args.has("after"))
        page.after = snowflake_option(in.args, "after");
    if (in.args.has("before")) {
        if (in.args.has("all"))
            throw usage_error("--all pages forwards: use --after, not --before");
        page.before = snowflake_option(in.args, "before");
    }
    auto token = bearer(in);
    std::vector<oauth2::partial_guild> guilds;
    if (in.args.has("all")) {
        auto stream = in.client.get_all_guilds(token, page);
        while (auto g = co_await stream.next())
            guilds.push_back(std::move(*g));
    } else {
        guilds = co_await in.client.get_guilds(token, page);
    }
    writer w;
    w.begin_array();
    for (const auto& g : guilds)
        write(w, g, page.with_counts);
    w.end_array();
    co_return w.take() + "\n";
}

asio::awaitable<std::string> member_command(invocation& in)
{
    auto guild = snowflake_option(in.args, "guild");
    auto member = co_await in.client.get_guild_member(bearer(in), guild);
    co_return to_json(member);
}

asio::awaitable<std::string> add_member_command(invocation& in)
{
    if (!in.client.config().bot_token)
        throw usage_error("add-member needs the application's bot token: pass --bot-token or set DISCORD_BOT_TOKEN");
    auto guild = snowflake_option(in.args, "guild");
    auto user = snowflake_option(in.args, "user");
    oauth2::add_member_options options;
    options.nick = in.args.value("nick");
    for (const auto& r : in.args.list("role"))
        options.roles.push_back(snowflake_value("role", r));
    auto join = co_await in.client.add_guild_member(bearer(in), guild, user, options);
    co_return to_json(join);
}

asio::awaitable<std::string> role_connection_command(invocation& in)
{
    const auto& words = in.args.words;
    if (words.size() != 2)
        throw usage_error("role-connection needs one of get, put or delete");
    const auto& action = words[1];
    auto token = bearer(in);
    if (action == "get")
        co_return to_json(co_await in.client.get_role_connection(token));
    if (action == "delete") {
        co_await in.client.delete_role_connection(token);
        co_return "{\"deleted\":true}\n";
    }
    if (action != "put")
        throw usage_error("role-connection needs one of get, put or delete, not '" + action + "'");
    oauth2::role_connection rc;
    rc.platform_name = in.args.value("platform-name");
    rc.platform_username = in.args.value("platform-username");
    for (const auto& pair : in.args.list("metadata")) {
        auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
            throw usage_error("--metadata takes key=value pairs, not '" + pair + "'");
        rc.metadata[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    co_return to_json(co_await in.client.update_role_connection(token, rc));
}

// The whole of the file named by --`option` (`-` for stdin).
std::string option_file(const invocation& in, std::string_view option, std::string_view needed)
{
    auto file = in.args.value(option);
    if (!file)
        throw usage_error(std::string(needed));
    std::string text;
    if (*file == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        std::ifstream f(*file, std::ios::binary);
        if (!f)
            throw usage_error("--" + std::string(option) + " " + *file + " cannot be read");
        text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
    return text;
}

// --file F (or - for stdin) read by one of the library's decoders of Discord's JSON: the file is
// in Discord's own shape. A file that is not is a usage error saying what `shape` it should be.
template <class T>
T decode_file(const invocation& in, std::string_view what, T (*decode)(const oauth2::http::padded_buffer&),
              std::string_view shape)
{
    auto text = option_file(in, "file", std::string(what) + " needs --file F (a JSON file, or - for stdin)");
    oauth2::http::padded_buffer body;
    body.append(text.data(), text.size());
    try {
        return decode(body);
    } catch (const oauth2::error& e) {
        // The decoder speaks of Discord's answers; here the text is the user's file.
        std::string why = e.what();
        throw usage_error("the file is not " + std::string(shape) + ": " + why);
    }
}

asio::awaitable<std::string> role_metadata_command(invocation& in)
{
    const auto& words = in.args.words;
    if (words.size() != 2 || (words[1] != "get" && words[1] != "put"))
        throw usage_error("role-metadata needs get or put");
    if (words[1] == "get") {
        auto records = co_await in.client.get_role_connection_metadata();
        co_return oauth2::rest::role_connection_metadata_json(records) + "\n";
    }
    // The file is what GET prints, Discord's own shape: a JSON array of records.
    auto records = decode_file(in, "role-metadata put", &oauth2::json::decode_role_connection_metadata,
                               "a JSON array of metadata records (type, key, name, description)");
    auto stored = co_await in.client.update_role_connection_metadata(std::move(records));
    co_return oauth2::rest::role_connection_metadata_json(stored) + "\n";
}

asio::awaitable<std::string> application_command(invocation& in)
{
    oauth2::application_changes changes;
    bool changing = false;
    if (auto url = in.args.value("event-webhooks-url")) {
        changes.event_webhooks_url = *url;
        changing = true;
    }
    if (auto status = in.args.value("event-webhooks-status")) {
        if (*status != "1" && *status != "2")
            throw usage_error("--event-webhooks-status is 1 (disabled) or 2 (enabled)");
        changes.event_webhooks_status = *status == "2" ? 2 : 1;
        changing = true;
    }
    if (in.args.has("event-webhooks-type")) {
        changes.event_webhooks_types = in.args.list("event-webhooks-type");
        changing = true;
    }
    if (auto url = in.args.value("verification-url")) {
        changes.role_connections_verification_url = *url;
        changing = true;
    }
    if (in.args.has("oauth2")) {
        if (changing)
            throw usage_error("application --oauth2 only reads: leave out the changes");
        co_return to_json(co_await in.client.get_oauth2_application());
    }
    if (!changing)
        co_return to_json(co_await in.client.get_current_application());
    co_return to_json(co_await in.client.edit_current_application(changes));
}

asio::awaitable<std::string> command_permissions_command(invocation& in)
{
    const auto& words = in.args.words;
    if (words.size() != 2 || (words[1] != "get" && words[1] != "put"))
        throw usage_error("command-permissions needs get or put");
    auto guild = snowflake_option(in.args, "guild");
    auto token = bearer(in);
    if (words[1] == "get") {
        if (!in.args.has("command"))
            co_return to_json(co_await in.client.get_guild_command_permissions(token, guild));
        auto command = snowflake_option(in.args, "command");
        co_return to_json(co_await in.client.get_command_permissions(token, guild, command));
    }
    auto command = snowflake_option(in.args, "command");
    // Discord's PUT body, {"permissions": [...]}; what get prints reads too.
    auto permissions = decode_file(in, "command-permissions put", &oauth2::json::decode_command_permissions_body,
                                   "{\"permissions\": [{\"id\", \"type\", \"permission\"}, ...]}");
    co_return to_json(co_await in.client.edit_command_permissions(token, guild, command, std::move(permissions)));
}

// Access tokens, one a line, from --tokens-file F (or - for stdin): never on the command line.
std::vector<oauth2::access_token> token_lines(const invocation& in)
{
    auto text = option_file(in, "tokens-file", "group-dm create needs --tokens-file F (one access token a line, or - for stdin)");
    std::vector<oauth2::access_token> tokens;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        auto line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        start = end == std::string::npos ? text.size() : end + 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.pop_back();
        if (line.empty())
            continue;
        oauth2::access_token t;
        t.token = oauth2::secret(line);
        tokens.push_back(std::move(t));
    }
    if (tokens.empty())
        throw usage_error("--tokens-file holds no access token");
    return tokens;
}

asio::awaitable<std::string> group_dm_command(invocation& in)
{
    const auto& words = in.args.words;
    if (words.size() != 2 || (words[1] != "create" && words[1] != "add"))
        throw usage_error("group-dm needs create or add");
    if (!in.client.config().bot_token)
        throw usage_error("group-dm needs the application's bot token: pass --bot-token or set DISCORD_BOT_TOKEN");
    if (words[1] == "add") {
        auto channel = snowflake_option(in.args, "channel");
        auto user = snowflake_option(in.args, "user");
        auto given = in.args.words_of("nick");
        if (given.size() > 1)
            throw usage_error("group-dm add takes one --nick (quote a nickname with spaces)");
        auto nick = given.empty() ? std::string() : given.front();
        co_return to_json(co_await in.client.add_group_dm_recipient(bearer(in), channel, user, nick));
    }
    std::vector<std::pair<oauth2::snowflake, std::string>> nicks;
    for (const auto& pair : in.args.words_of("nick")) { // one USER=NICK a word: nicknames may hold spaces
        auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0)
            throw usage_error("group-dm create takes --nick USER_ID=NICK, not '" + pair + "'");
        nicks.emplace_back(snowflake_value("nick", pair.substr(0, eq)), pair.substr(eq + 1));
    }
    co_return to_json(co_await in.client.create_group_dm(token_lines(in), std::move(nicks)));
}

asio::awaitable<std::string> verify_id_token_command(invocation& in)
{
    auto id_token = required_secret(in, "id-token");
    auto nonce = in.args.value("nonce").value_or("");
    co_return to_json(co_await in.client.verify_id_token(id_token.reveal(), nonce));
}

asio::awaitable<std::string> userinfo_command(invocation& in)
{
    auto token = bearer(in);
    co_return to_json(co_await in.client.get_userinfo(token));
}

// Opens `link` in the desktop's browser when there is one; quietly does nothing otherwise.
void open_browser(const std::string& link)
{
    if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY"))
        return;
    pid_t pid = 0;
    const char* argv[] = {"xdg-open", link.c_str(), nullptr};
    if (::posix_spawnp(&pid, "xdg-open", nullptr, nullptr, const_cast<char* const*>(argv), environ) == 0)
        fmt::print(stderr, "(opening it in your browser)\n");
}

// login --device: RFC 8628's flow, for a machine without a browser. The person opens the URL on
// any device and types the code; the grant arrives here.
asio::awaitable<std::string> device_login(invocation& in, std::vector<std::string> requested)
{
    bool knows_who = std::find(requested.begin(), requested.end(), "identify") != requested.end();
    auto store = co_await grant_store(in.args, in.env);
    if (store && !knows_who)
        throw usage_error("login --device --store needs the identify scope: the grant is saved under the user's id");
    auto a = co_await in.client.start_device_authorization(requested);
    fmt::print(stderr, "To sign in, open {} and enter the code {}\n", a.verification_uri, a.user_code);
    if (a.verification_uri_complete)
        fmt::print(stderr, "or open {}\n", *a.verification_uri_complete);
    // The QR code only for a person at a terminal; pipes and logs get the text alone.
    if (::isatty(STDOUT_FILENO))
        if (auto drawing = terminal_qr(a.verification_uri_complete.value_or(a.verification_uri)))
            fmt::print(stderr, "{}", *drawing);
    fmt::print(stderr, "Waiting (the code expires in {} s)...\n", a.expires_in.count());
    std::fflush(stderr);
    auto token = co_await in.client.wait_for_device_token(a);
    oauth2::snowflake user;
    if (knows_who)
        user = (co_await in.client.get_current_user(token)).id;
    if (store) {
        oauth2::stored_grant grant{user, token};
        co_await store->save(std::move(grant));
    }
    oauth2::json::writer w;
    w.begin_object();
    if (knows_who)
        w.field("user_id", user.to_string());
    w.key("grant");
    write(w, token);
    w.end_object();
    co_return w.take() + "\n";
}

asio::awaitable<std::string> login_command(invocation& in)
{
    if (in.args.has("device")) {
        if (in.args.has("user") || in.args.has("no-browser"))
            throw usage_error("login --device takes neither --user nor --no-browser: whoever enters the code is the user");
        co_return co_await device_login(in, scopes(in));
    }
    require_redirect_uri(in);
    auto requested = scopes(in);
    auto timeout = duration_option(in.args, "timeout", std::chrono::seconds(60));
    auto executor = co_await asio::this_coro::executor;
    oauth2::web_server_config config;
    config.store = co_await grant_store(in.args, in.env); // the grant is saved there when one is given
    oauth2::web_server web(executor, in.client, std::move(config));
    web.start();
    // --user binds the link to that account (identify is added, another account is refused);
    // without it, whoever authorizes is the user the grant is for.
    oauth2::snowflake user;
    if (in.args.has("user"))
        user = snowflake_option(in.args, "user");
    std::vector<std::string_view> scope_views(requested.begin(), requested.end());
    auto link = web.authorization_url(user, scope_views);
    fmt::print(stderr, "Open this link to authorize (waiting {} s):\n{}\n", timeout.count() / 1000, link);
    std::fflush(stderr);
    if (!in.args.has("no-browser"))
        open_browser(link);
    auto result = co_await web.wait_for_access_token(user, link, timeout);
    co_await web.stop(std::chrono::seconds(2));
    if (!result) {
        using oauth2::authorization_outcome;
        auto why = result.outcome == authorization_outcome::timed_out ? std::string("no authorization arrived in time")
            : result.outcome == authorization_outcome::denied        ? "the authorization was cancelled"
                                                                     : "the authorization failed";
        // The outcome's own code: only a cancellation is "access denied".
        auto code = result.outcome == authorization_outcome::timed_out ? oauth2::errc::timeout
            : result.outcome == authorization_outcome::denied         ? oauth2::errc::access_denied
            : result.code && result.code.category() == oauth2::error_category()
            ? static_cast<oauth2::errc>(result.code.value())
            : oauth2::errc::invalid_response;
        throw oauth2::error(code, why + (result.description.empty() ? "" : " (" + result.description + ")"));
    }
    oauth2::json::writer w;
    w.begin_object().field("user_id", result->user_id.to_string()).key("grant");
    write(w, result->token);
    if (result->id_token) {
        w.key("id_token_claims");
        write(w, *result->id_token);
    }
    w.end_object();
    co_return w.take() + "\n";
}

asio::awaitable<std::shared_ptr<oauth2::token_store>> required_store(const invocation& in)
{
    auto store = co_await grant_store(in.args, in.env);
    if (!store)
        throw usage_error("grants needs a store: pass --store sqlite:PATH (or a postgres:// URL) or set DISCORD_STORE");
    co_return store;
}

// The users a grants command applies to: --user ID, or --all.
asio::awaitable<std::vector<oauth2::snowflake>> chosen_users(const invocation& in, oauth2::token_store& store)
{
    if (in.args.has("all") == in.args.has("user"))
        throw usage_error("give --user ID or --all");
    std::vector<oauth2::snowflake> users;
    if (in.args.has("user"))
        users.push_back(snowflake_option(in.args, "user"));
    else
        users = co_await store.list();
    co_return users;
}

void write_outcomes(writer& w, std::string_view done_name, const std::vector<oauth2::snowflake>& done,
                    const std::vector<std::pair<oauth2::snowflake, std::string>>& failed,
                    const std::vector<oauth2::snowflake>* forgotten = nullptr)
{
    w.begin_object().key(done_name).begin_array();
    for (auto u : done)
        w.value(u.to_string());
    w.end_array();
    if (forgotten) {
        w.key("forgotten").begin_array();
        for (auto u : *forgotten)
            w.value(u.to_string());
        w.end_array();
    }
    w.key("failed").begin_array();
    for (const auto& [u, why] : failed)
        w.begin_object().field("user_id", u.to_string()).field("error", why).end_object();
    w.end_array().end_object();
}

// A new file only its owner can read: never an existing one, never through a symbolic link.
void write_private_file(const std::string& path, const std::string& content)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        throw oauth2::error(oauth2::errc::invalid_argument,
                            errno == EEXIST ? path + " exists already; export into a new file"
                                            : path + " cannot be created: " + std::strerror(errno));
    std::size_t written = 0;
    while (written < content.size()) {
        auto n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ::close(fd);
            throw oauth2::error(oauth2::errc::invalid_argument, path + " could not be written");
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0)
        throw oauth2::error(oauth2::errc::invalid_argument, path + " could not be written");
}

asio::awaitable<std::string> grants_command(invocation& in)
{
    const auto& words = in.args.words;
    if (words.size() != 2)
        throw usage_error("grants needs one of list, refresh, revoke, export, import or rekey");
    const auto& action = words[1];
    auto store = co_await required_store(in);
    writer w;
    if (action == "list") {
        w.begin_array();
        auto users = co_await store->list();
        for (auto u : users) {
            auto g = co_await store->load(u);
            if (!g)
                continue;
            w.begin_object()
                .field("user_id", u.to_string())
                .field("expires_at", iso8601(g->token.expires_at))
                .field("refresh_in_flight", g->refresh_in_flight)
                .field("needs_reauthorization", g->needs_reauthorization)
                .end_object();
        }
        w.end_array();
    } else if (action == "refresh" || action == "revoke") {
        oauth2::refresher keeper(co_await asio::this_coro::executor, in.client, store);
        std::vector<oauth2::snowflake> done;
        std::vector<oauth2::snowflake> forgotten; // dead tokens: removed here, nothing to revoke
        std::vector<std::pair<oauth2::snowflake, std::string>> failed;
        auto users = co_await chosen_users(in, *store);
        for (auto u : users) {
            std::optional<oauth2::error> e;
            try {
                if (action == "refresh") {
                    (void)co_await keeper.refresh(u);
                } else {
                    auto g = co_await store->load(u);
                    if (!g)
                        throw oauth2::error(oauth2::errc::no_grant, "no grant is stored for this user");
                    if (g->needs_reauthorization) {
                        // Discord would answer 200 for a dead token and end nothing.
                        co_await store->erase(u);
                        forgotten.push_back(u);
                        continue;
                    }
                    auto& token = g->token.refresh_token ? *g->token.refresh_token : g->token.token;
                    co_await in.client.revoke(token);
                    co_await store->erase(u);
                }
            } catch (const oauth2::error& x) {
                e = x;
            }
            if (e)
                failed.emplace_back(u, e->what());
            else
                done.push_back(u);
        }
        write_outcomes(w, action == "refresh" ? "refreshed" : "revoked", done, failed,
                       action == "revoke" ? &forgotten : nullptr);
        if (!failed.empty() && done.empty() && forgotten.empty())
            throw oauth2::error(oauth2::errc::no_grant, fmt::format("nothing was {}: {}", action == "refresh" ? "refreshed" : "revoked",
                                                                    failed.front().second));
    } else if (action == "export") {
        auto keys = oauth2::store_key_ring::from_file(*setting(in.args, in.env, "store-key-file"));
        auto document = co_await oauth2::export_grants(*store, keys) + "\n";
        auto file = in.args.value("file");
        if (!file)
            co_return document;
        write_private_file(*file, document);
        w.begin_object().field("file", *file).end_object();
    } else if (action == "import") {
        std::string document;
        if (auto file = in.args.value("file")) {
            std::ifstream f(*file, std::ios::binary);
            if (!f)
                throw usage_error("--file " + *file + " cannot be read");
            document.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        } else {
            document.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        }
        auto keys = oauth2::store_key_ring::from_file(*setting(in.args, in.env, "store-key-file"));
        auto n = co_await oauth2::import_grants(*store, keys, document);
        w.begin_object().field("imported", static_cast<std::uint64_t>(n)).end_object();
    } else if (action == "rekey") {
        auto report = co_await rekey_store(*store);
        if (!report.failed.empty())
            throw oauth2::error(oauth2::errc::wrong_store_key,
                                fmt::format("{} grant(s) could not be re-sealed and were left as they were ({} re-sealed, "
                                            "{} already current); the first: {}",
                                            report.failed.size(), report.resealed, report.current,
                                            report.failed.front().reason));
        w.begin_object()
            .field("resealed", static_cast<std::uint64_t>(report.resealed))
            .field("current", static_cast<std::uint64_t>(report.current))
            .end_object();
    } else {
        throw usage_error("grants needs one of list, refresh, revoke, export, import or rekey, not '" + action + "'");
    }
    co_return w.take() + "\n";
}

using k = option_kind;

const std::vector<command>& table()
{
    // Secrets are shown as `-|@FILE` (stdin, or a file's first line) in the synopses: their
    // variables are the other way, and a value on the command line is visible to every user.
    static const std::vector<command> all{
        {"url", "--scope S... [--state X] [--prompt consent|none] [--pkce]",
         {{"scope", k::list}, {"state", k::value}, {"prompt", k::value}, {"pkce", k::flag}}, url_command, false,
         "Prints the authorization URL for the scopes: the URL alone, or with --pkce a JSON object with the url,\n"
         "its state and the PKCE code verifier to keep for `exchange`. Needs the client id and the redirect URI."},
        {"exchange", "--code -|@FILE [--code-verifier -|@FILE]", {{"code", k::value}, {"code-verifier", k::value}},
         exchange_command, false,
         "Exchanges the code of a callback for the user's grant and prints it (access and refresh token,\n"
         "scopes, expiry). Needs the client id, its secret (or the verifier of a PKCE link) and the redirect URI."},
        {"refresh", "--refresh-token -|@FILE", {{"refresh-token", k::value}}, refresh_command, false,
         "Prints a new grant for a refresh token. Discord rotates it: keep the refresh token printed, the one\n"
         "given stops working."},
        {"revoke", "--token -|@FILE [--hint access_token|refresh_token]", {{"token", k::value}, {"hint", k::value}},
         revoke_command, false,
         "Revokes the whole grant a token belongs to (every access and refresh token of it)."},
        {"client-credentials", "--scope S...", {{"scope", k::list}}, client_credentials_command, false,
         "Prints a token for the application's owner (the client credentials grant; no refresh token).\n"
         "Needs the client id and secret."},
        {"authorization", "[--access-token -|@FILE]", {}, authorization_command, false,
         "Prints what an access token authorizes: the application, the scopes, the expiry and, with\n"
         "`identify`, the user (GET /oauth2/@me). Needs only the access token.",
         true},
        {"me", "[--access-token -|@FILE]", {}, me_command, false,
         "Prints the token's user (GET /users/@me; scope identify, with email for the address).\n"
         "Needs only the access token.",
         true, "identify"},
        {"connections", "[--access-token -|@FILE]", {}, connections_command, false,
         "Prints the accounts the token's user linked (GET /users/@me/connections; scope connections).\n"
         "Needs only the access token.",
         true, "connections"},
        {"guilds", "[--access-token -|@FILE] [--all] [--after ID] [--before ID] [--limit N] [--with-counts]",
         {{"all", k::flag}, {"after", k::value}, {"before", k::value}, {"limit", k::value}, {"with-counts", k::flag}},
         guilds_command, false,
         "Prints a page of the user's guilds (scope guilds), or with --all every one of them, page after page.\n"
         "Needs only the access token.",
         true, "guilds"},
        {"member", "[--access-token -|@FILE] --guild G", {{"guild", k::value}}, member_command, false,
         "Prints the user's membership in a guild (scope guilds.members.read). Needs only the access token.",
         true, "guilds.members.read"},
        {"add-member", "[--access-token -|@FILE] --guild G --user U [--nick N] [--role R...] (with --bot-token)",
         {{"guild", k::value}, {"user", k::value}, {"nick", k::value}, {"role", k::list}}, add_member_command, false,
         "Adds the token's user (scope guilds.join) to a guild with the application's bot, which must be in it."},
        {"login", "--scope S... [--user ID] [--no-browser] [--timeout 60s] | --device --scope S...",
         {{"scope", k::list}, {"user", k::value}, {"no-browser", k::flag}, {"timeout", k::value}, {"device", k::flag}},
         login_command, false,
         "Runs the callback server on the redirect URI, opens the link in a browser (or prints it), waits for\n"
         "the authorization and prints the grant; with --store it is saved there too. --device uses the device\n"
         "flow instead: the code is shown on stderr (a QR code on a terminal)."},
        {"grants", "list|refresh|revoke|export|import|rekey [--user ID | --all] [--file F] (with --store)",
         {{"user", k::value}, {"all", k::flag}, {"file", k::value}}, grants_command, true,
         "Manages the grants of a store (--store sqlite:PATH or a postgres:// URL, with --store-key-file):\n"
         "lists them, refreshes or revokes one user's or all, exports them sealed under the store key, imports;\n"
         "rekey re-seals under the key file's first key every grant sealed under another of its keys (beside a\n"
         "live bot; run it again if it was stopped) and prints how many it re-sealed and how many were current."},
        {"role-connection",
         "get|put|delete [--access-token -|@FILE] [--platform-name N] [--platform-username U] [--metadata K=V...]",
         {{"platform-name", k::value}, {"platform-username", k::value}, {"metadata", k::list}},
         role_connection_command, true,
         "Reads, replaces or deletes the user's role connection of this application (linked roles; scope\n"
         "role_connections.write). Needs the client id.",
         false, "role_connections.write"},
        {"role-metadata", "get|put [--file F|-] (with --bot-token)", {{"file", k::value}}, role_metadata_command, true,
         "Reads or replaces the application's role connection metadata records (a JSON array in Discord's shape)."},
        {"application",
         "[--event-webhooks-url URL|\"\"] [--event-webhooks-status 1|2] [--event-webhooks-type T...] "
         "[--verification-url URL|\"\"] | --oauth2 (with --bot-token)",
         {{"event-webhooks-url", k::value}, {"event-webhooks-status", k::value}, {"event-webhooks-type", k::list},
          {"verification-url", k::value}, {"oauth2", k::flag}},
         application_command, false,
         "Prints the application (GET /applications/@me), or changes its event webhooks and linked roles URL\n"
         "first; --oauth2 reads it as the OAuth2 routes see it."},
        {"verify-id-token", "--id-token -|@FILE [--nonce N]", {{"id-token", k::value}, {"nonce", k::value}},
         verify_id_token_command, false,
         "Verifies an OpenID Connect ID token (signature, issuer, audience, expiry, nonce) and prints its claims."},
        {"userinfo", "[--access-token -|@FILE]", {}, userinfo_command, false,
         "Prints the user's OpenID Connect claims (scope openid). Needs only the access token.",
         true, "openid"},
        {"command-permissions", "get|put [--access-token -|@FILE] --guild G [--command C] [--file F|-]",
         {{"guild", k::value}, {"command", k::value}, {"file", k::value}}, command_permissions_command, true,
         "Reads or replaces the permissions of the application's slash commands in a guild, with the token of\n"
         "someone who may manage it (scope applications.commands.permissions.update)."},
        {"group-dm",
         "create --tokens-file F|- [--nick USER=NICK...] | add [--access-token -|@FILE] --channel C --user U "
         "[--nick N] (with --bot-token)",
         {{"tokens-file", k::value}, {"channel", k::value}, {"user", k::value}, {"nick", k::list}}, group_dm_command, true,
         "Creates a group DM of users who granted gdm.join, or adds one more user to it."},
        {"serve",
         "[--public-key HEX] [--events-path P] [--linked-roles-path P] [--scope S...] [--port N] [--link-lifetime 10m] "
         "[--trusted-proxy ADDRESS...] [--exchanges-per-minute-per-client 30] [--exchanges-per-second 50] "
         "[--control unix:PATH|http://127.0.0.1:PORT] [--control-key-file F] [--state-key-file F] [--store ...] "
         "[--metrics [ADDRESS:]PORT] [--log-format text|json] [--log-level info]",
         {{"public-key", k::value}, {"events-path", k::value}, {"linked-roles-path", k::value}, {"scope", k::list},
          {"control", k::value}, {"control-key-file", k::value}, {"state-key-file", k::value}, {"port", k::value},
          {"link-lifetime", k::value}, {"trusted-proxy", k::list}, {"exchanges-per-minute-per-client", k::value},
          {"exchanges-per-second", k::value}, {"metrics", k::value}},
         serve_command, false,
         "Runs the callback web server for a bot in any language: one JSON line when ready and one per event\n"
         "on stdout, links and tokens on its control interface, grants kept fresh in --store (docs/serve.md).\n"
         "Stops gracefully on SIGTERM or SIGINT. --metrics serves /metrics (Prometheus), /healthz and /readyz\n"
         "(docs/operations.md)."},
    };
    return all;
}

} // namespace

std::span<const command> commands()
{
    return table();
}

const command* find_command(std::string_view name)
{
    for (const auto& c : table())
        if (c.name == name)
            return &c;
    return nullptr;
}

namespace {

constexpr std::string_view exit_statuses =
    "Results are JSON on stdout. Exit status: 0 done; 1 the operation failed (one line on stderr saying\n"
    "why); 2 a usage error (two lines on stderr: what is wrong, and where to read more).\n";

constexpr std::string_view secrets_note =
    "Secrets never belong on the command line, which other users can read (ps) and the shell keeps:\n"
    "give --client-secret, --bot-token, --access-token, --code, --code-verifier, --refresh-token,\n"
    "--token, --id-token and --store as - (one line from stdin) or @FILE (its first line), or in their\n"
    "variables (DISCORD_ACCESS_TOKEN, DISCORD_CODE, DISCORD_CODE_VERIFIER, DISCORD_REFRESH_TOKEN,\n"
    "DISCORD_TOKEN, DISCORD_ID_TOKEN and those above).\n";

constexpr std::string_view core_dumps_note =
    "The process is not dumpable: a crash leaves no core file, and other processes of the user cannot\n"
    "read its memory, secrets included. --allow-core-dumps (or DISCORD_ALLOW_CORE_DUMPS=1) allows both.\n";

std::string shared_options_text()
{
    std::string text = "options of every command (or the environment variable named):\n";
    for (const auto& o : shared_options)
        text += fmt::format("  --{:<16} {}\n", o.name, o.variable);
    return text;
}

} // namespace

std::string usage_text()
{
    std::string text = "usage: discord-oauth2 COMMAND [options]\n       discord-oauth2 COMMAND --help\n"
                       "       discord-oauth2 --version\n\ncommands:\n";
    for (const auto& c : table())
        text += fmt::format("  {} {}\n", c.name, c.synopsis);
    text += "\n" + shared_options_text();
    text += "\n--api-base URL puts the token, revoke and API endpoints under URL (as Discord lays them out).\n";
    text += exit_statuses;
    text += secrets_note;
    text += core_dumps_note;
    text += "serve also reads DISCORD_PUBLIC_KEY, DISCORD_CONTROL, DISCORD_CONTROL_KEY_FILE,\n"
            "DISCORD_STATE_KEY_FILE and DISCORD_METRICS.\n";
    text += "--log-format text|json and --log-level debug|info|warning|error write the library's log records\n"
            "to stderr (none without either; json: one object a line, never a secret).\n";
    return text;
}

std::string command_help(const command& c)
{
    std::string text = fmt::format("usage: discord-oauth2 {} {}\n\n{}\n\n", c.name, c.synopsis, c.summary);
    text += shared_options_text();
    if (c.name == "serve")
        text += "  and DISCORD_PUBLIC_KEY, DISCORD_CONTROL, DISCORD_CONTROL_KEY_FILE, DISCORD_STATE_KEY_FILE,\n"
                "  DISCORD_METRICS for --public-key, --control, --control-key-file, --state-key-file and --metrics\n";
    text += "\n";
    text += exit_statuses;
    text += secrets_note;
    text += core_dumps_note;
    return text;
}

asio::awaitable<std::string> run_command(const command& c, invocation& in)
{
    std::optional<oauth2::error> refused;
    try {
        co_return co_await c.run(in);
    } catch (const oauth2::error& e) {
        if (c.bearer_scope.empty() || e.code() != oauth2::errc::unauthorized || !in.bearer_token)
            throw;
        refused = e;
    }
    // Discord answers a token without the scope as it answers a dead one: ask what it grants.
    std::optional<oauth2::authorization_info> info;
    try {
        info = co_await in.client.get_authorization_info(*in.bearer_token);
    } catch (const oauth2::error&) {
        throw *refused; // the token itself is refused: the first answer says so
    }
    if (std::find(info->scopes.begin(), info->scopes.end(), c.bearer_scope) != info->scopes.end())
        throw *refused;
    // The scopes come from the API base's answer: printed only as scope names are written.
    std::string granted;
    for (const auto& s : info->scopes) {
        bool plain = !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
        });
        granted += (granted.empty() ? "" : ", ") + (plain ? s : std::string("(a scope that is not a name)"));
    }
    throw oauth2::error(oauth2::errc::missing_scope,
                        fmt::format("the access token lacks the {} scope that {} needs (it grants {}): get a token "
                                    "that grants it",
                                    c.bearer_scope, c.name, granted.empty() ? "none" : granted),
                        refused->http_status());
}

} // namespace cli
