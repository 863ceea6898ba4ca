// The discord-oauth2 command line, end to end against the emulator program.
#include "server/free_port.hpp"
#include "http/client.hpp"
#include "support/authorize.hpp"
#include "support/postgres_cluster.hpp"
#include "support/process.hpp"
#include "support/run.hpp"

#include <discord/oauth2/postgres_token_store.hpp>

#include "core/url_encoding.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <simdjson.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace http = discord::oauth2::http;
namespace url = discord::oauth2::url;

namespace {

const std::string client_id = "159799960412356608";
const std::string client_secret = "emulator-airhorn-client-secret-0123456789";
const std::string bot_token = "emulator-airhorn-bot-token.0123456789";
// A port nobody uses: a fixed one may be held by a client connection's TIME_WAIT.
using discord::oauth2::server::free_port;
const std::string redirect = "http://127.0.0.1:" + std::to_string(free_port()) + "/callback";

// The emulator program, auto-approving, for the whole test case.
struct emulator_program {
    test::child process;
    std::string base;

    explicit emulator_program(std::vector<std::string> extra = {})
    {
        std::vector<std::string> args{"--auto-approve", "--redirect-uri", redirect};
        args.insert(args.end(), extra.begin(), extra.end());
        process = test::spawn(EMULATOR_PROGRAM, args);
        auto ready = test::read_line(process.out);
        simdjson::dom::parser p;
        auto doc = p.parse(ready);
        REQUIRE_FALSE(doc.error());
        base = std::string(std::string_view(doc["url"]));
    }
    ~emulator_program()
    {
        ::kill(process.pid, SIGTERM);
        test::wait_exit(process);
    }
};

struct cli_fixture {
    emulator_program discord;

    cli_fixture() = default;
    explicit cli_fixture(std::vector<std::string> emulator_args) : discord(std::move(emulator_args)) {}
    std::map<std::string, std::string> env{{"DISCORD_CLIENT_ID", client_id},
                                           {"DISCORD_CLIENT_SECRET", client_secret},
                                           {"DISCORD_REDIRECT_URI", redirect},
                                           {"DISCORD_API_BASE", discord.base},
                                           {"DISCORD_BOT_TOKEN", bot_token}};

    test::program_result cli(const std::vector<std::string>& args) const { return cli(args, env); }
    static test::program_result cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env)
    {
        return test::run_program(CLI_PROGRAM, args, env);
    }

    // The browser's part: follows the authorization URL and returns the redirect's code.
    static std::string code_from(const std::string& link)
    {
        asio::io_context io;
        http::client browser(io.get_executor());
        std::string location;
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            http::request r;
            r.url = link;
            auto response = co_await browser.send(std::move(r));
            if (auto l = response.fields.find("location"))
                location = std::string(*l);
        }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
        io.run();
        auto params = url::parse_query(location.substr(location.find('?') + 1));
        REQUIRE(params);
        for (const auto& [k, v] : *params)
            if (k == "code")
                return v;
        FAIL("no code in the redirect: " << location);
        return {};
    }
};

// The output parsed as JSON (the parser must outlive the element).
struct json_output {
    simdjson::dom::parser parser;
    simdjson::dom::element root;

    explicit json_output(const test::program_result& r)
    {
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        REQUIRE(r.err.empty());
        auto doc = parser.parse(r.out);
        REQUIRE_FALSE(doc.error());
        root = doc.value();
    }
    std::string text(const char* key) const { return std::string(std::string_view(root[key])); }
};

void check_failed_cleanly(const test::program_result& r, int status, const std::vector<std::string>& secrets)
{
    CHECK(r.exit_code == status);
    CHECK(r.out.empty());
    CHECK_FALSE(r.err.empty());
    CHECK(r.err.starts_with("discord-oauth2: "));
    if (status == 1)
        CHECK(r.err.find('\n') == r.err.size() - 1); // one line
    for (const auto& s : secrets) {
        CAPTURE(r.err);
        CHECK(r.err.find(s) == std::string::npos);
    }
}

// The browser: Discord's redirect (the emulator approves at once), then the callback on the
// command's own server; the status of the page it shows.
int authorize_in_browser(const std::string& link)
{
    asio::io_context io;
    http::client browser(io.get_executor());
    int page_status = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        http::request authorize;
        authorize.url = link;
        auto redirect = co_await browser.send(std::move(authorize));
        http::request callback;
        callback.url = std::string(redirect.fields.find("location").value_or(""));
        page_status = (co_await browser.send(std::move(callback))).status;
    }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
    io.run();
    return page_status;
}

} // namespace

TEST_CASE("guilds --all pages through 250 guilds whose counts are null")
{
    // A world of one user in 250 guilds whose counts Discord does not know (null, as its spec
    // allows), and the application the command line is configured with.
    auto seed_path = std::filesystem::temp_directory_path() / ("cli-250-guilds-" + std::to_string(::getpid()) + ".json");
    {
        std::ofstream seed(seed_path);
        seed << R"({"users":[{"id":"100000000000000001","username":"ada"}],"guilds":[)";
        for (int i = 0; i < 250; ++i)
            seed << (i ? "," : "") << R"({"id":")" << 200000000000000001ULL + i << R"(","name":"guild )" << i
                 << R"(","owner_id":"100000000000000001","features":[],"approximate_member_count":null,)"
                 << R"("approximate_presence_count":null,"members":[{"user_id":"100000000000000001"}]})";
        seed << R"(],"applications":[{"id":")" << client_id << R"(","name":"app","client_secret":")" << client_secret
             << R"(","redirect_uris":[")" << redirect << R"("],"bot_token":")" << bot_token << R"(","owner_id":"100000000000000001"}]})";
    }
    cli_fixture f({"--seed", seed_path.string()});
    std::filesystem::remove(seed_path);
    auto link = f.cli({"url", "--scope", "identify", "guilds"});
    REQUIRE(link.exit_code == 0);
    auto code = cli_fixture::code_from(link.out.substr(0, link.out.size() - 1));
    json_output grant(f.cli({"exchange", "--code", code}));
    auto access = grant.text("access_token");

    json_output all(f.cli({"guilds", "--access-token", access, "--all", "--with-counts"}));
    simdjson::dom::array guilds = all.root;
    REQUIRE(guilds.size() == 250); // two pages: Discord's most, 200, then 50
    std::size_t i = 0;
    for (auto g : guilds) {
        CAPTURE(i);
        CHECK(std::string_view(g["id"]) == std::to_string(200000000000000001ULL + i));
        CHECK(g["approximate_member_count"].is_null());
        CHECK(g["approximate_presence_count"].is_null());
        ++i;
    }
}

TEST_CASE("the code flow from the shell: url, exchange, every read, refresh and revoke")
{
    cli_fixture f;
    auto link = f.cli({"url", "--scope", "identify", "email", "connections", "--scope", "guilds,guilds.members.read",
                       "--state", "from the shell"});
    REQUIRE(link.exit_code == 0);
    CHECK(link.out.starts_with(f.discord.base + "/oauth2/authorize?client_id=" + client_id));
    CHECK(link.out.find("scope=identify%20email%20connections%20guilds%20guilds.members.read") != std::string::npos);
    CHECK(link.out.find("state=from%20the%20shell") != std::string::npos);
    CHECK(link.out.find("code_challenge") == std::string::npos);
    auto code = cli_fixture::code_from(link.out.substr(0, link.out.size() - 1));

    json_output grant(f.cli({"exchange", "--code", code}));
    auto access = grant.text("access_token");
    auto refresh = grant.text("refresh_token");
    CHECK(grant.text("token_type") == "Bearer");
    CHECK(grant.text("scope") == "identify email connections guilds guilds.members.read");
    CHECK(int64_t(grant.root["expires_in"]) == 604800);

    json_output me(f.cli({"me", "--access-token", access}));
    CHECK(me.text("id") == "80351110224678912");
    CHECK(me.text("email") == "nelly@discord.com");
    // Discord's documentation calls .../api/v10 the base URL: it means the same server.
    auto documented_base = f.env;
    documented_base["DISCORD_API_BASE"] = f.discord.base + "/api/v10";
    json_output me_again(cli_fixture::cli({"me", "--access-token", access}, documented_base));
    CHECK(me_again.text("id") == "80351110224678912");

    auto env_token = f.env;
    env_token["DISCORD_ACCESS_TOKEN"] = access;
    json_output connections(cli_fixture::cli({"connections"}, env_token));
    CHECK(simdjson::dom::array(connections.root).size() == 5);

    json_output all(f.cli({"guilds", "--access-token", access, "--all", "--limit", "1", "--with-counts"}));
    simdjson::dom::array guilds = all.root;
    REQUIRE(guilds.size() == 3);
    std::string first_guild(std::string_view(guilds.at(0)["id"]));
    CHECK(int64_t(guilds.at(0)["approximate_member_count"]) == 3268);
    json_output page(f.cli({"guilds", "--access-token", access, "--after", first_guild, "--limit=1"}));
    CHECK(simdjson::dom::array(page.root).size() == 1);

    json_output member(f.cli({"member", "--access-token", access, "--guild", first_guild}));
    CHECK(member.text("nick") == "NOT API SUPPORT");
    json_output info(f.cli({"authorization", "--access-token", access}));
    CHECK(std::string_view(info.root["application"]["id"]) == client_id);
    CHECK(std::string_view(info.root["user"]["id"]) == "80351110224678912");

    json_output refreshed(f.cli({"refresh", "--refresh-token", refresh}));
    CHECK(refreshed.text("access_token") != access);
    auto rotated_away = f.cli({"refresh", "--refresh-token", refresh});
    check_failed_cleanly(rotated_away, 1, {refresh, client_secret});
    CHECK(rotated_away.err.find("invalid_grant") != std::string::npos);

    json_output revoked(f.cli({"revoke", "--token", refreshed.text("refresh_token"), "--hint", "refresh_token"}));
    CHECK(bool(revoked.root["revoked"]));
    auto after_revoke = f.cli({"me", "--access-token", refreshed.text("access_token")});
    check_failed_cleanly(after_revoke, 1, {refreshed.text("access_token")});

    auto spent = f.cli({"exchange", "--code", code});
    check_failed_cleanly(spent, 1, {code, client_secret});
}

TEST_CASE("secrets stay off the command line: - reads stdin, @FILE reads a file, and each has its variable")
{
    cli_fixture f;
    auto dir = std::filesystem::temp_directory_path() / ("cli-secrets-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto link = f.cli({"url", "--scope", "identify"});
    auto code = cli_fixture::code_from(link.out.substr(0, link.out.size() - 1));

    // The code on stdin: the exchange works and the code is nowhere in argv.
    std::vector<std::string> exchange_args{"exchange", "--code", "-"};
    auto c = test::spawn_with_input(CLI_PROGRAM, exchange_args, f.env);
    auto line = code + "\n";
    REQUIRE(::write(c.in, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    ::close(c.in);
    c.in = -1;
    auto out = test::read_all(c.out);
    auto err = test::read_all(c.err);
    CAPTURE(err);
    REQUIRE(test::wait_exit(c) == 0);
    simdjson::dom::parser parser;
    auto grant = parser.parse(out);
    REQUIRE_FALSE(grant.error());
    auto access = std::string(std::string_view(grant["access_token"]));
    auto refresh = std::string(std::string_view(grant["refresh_token"]));

    // The access token from a file (a line end is not part of it).
    auto token_file = (dir / "access").string();
    std::ofstream(token_file) << access << "\r\n";
    json_output me(f.cli({"me", "--access-token", "@" + token_file}));
    CHECK(me.text("id") == "80351110224678912");
    auto missing = f.cli({"me", "--access-token", "@" + (dir / "none").string()});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("cannot be read") != std::string::npos);

    // The refresh token and the revoked token from their variables.
    auto env = f.env;
    env["DISCORD_REFRESH_TOKEN"] = refresh;
    json_output refreshed(cli_fixture::cli({"refresh"}, env));
    env["DISCORD_TOKEN"] = refreshed.text("refresh_token");
    json_output revoked(cli_fixture::cli({"revoke"}, env));
    CHECK(bool(revoked.root["revoked"]));

    // The client secret may come from a file too; nothing read from stdin is an error.
    auto secret_file = (dir / "client-secret").string();
    std::ofstream(secret_file) << client_secret << "\n";
    auto no_secret_env = f.env;
    no_secret_env.erase("DISCORD_CLIENT_SECRET");
    auto with_file = cli_fixture::cli({"client-credentials", "--scope", "identify", "--client-secret", "@" + secret_file},
                                      no_secret_env);
    CHECK(with_file.exit_code == 0);
    auto usage = f.cli({"refresh"});
    CHECK(usage.exit_code == 2);
    CHECK(usage.err.find("DISCORD_REFRESH_TOKEN") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("PKCE, client credentials, the bot flow, add-member and role connections from the shell")
{
    cli_fixture f;
    json_output pkce(f.cli({"url", "--scope", "identify", "--pkce"}));
    auto verifier = pkce.text("code_verifier");
    CHECK(verifier.size() == 64);
    CHECK(pkce.text("url").find("code_challenge_method=S256") != std::string::npos);
    auto code = cli_fixture::code_from(pkce.text("url"));
    auto wrong = f.cli({"exchange", "--code", code, "--code-verifier", std::string(64, 'x')});
    check_failed_cleanly(wrong, 1, {code, verifier});
    json_output pkce2(f.cli({"url", "--scope", "identify", "--pkce"}));
    auto code2 = cli_fixture::code_from(pkce2.text("url"));
    // "=": a verifier is base64url and starts with "--" once in 4,096, which the command line
    // reads as the next option when the value is a separate argument.
    json_output with_verifier(f.cli({"exchange", "--code", code2, "--code-verifier=" + pkce2.text("code_verifier")}));
    CHECK(with_verifier.text("scope") == "identify");

    json_output cc(f.cli({"client-credentials", "--scope", "identify", "connections"}));
    CHECK(cc.text("scope") == "identify connections");
    CHECK(cc.root["refresh_token"].error() == simdjson::NO_SUCH_FIELD);

    // The bot joins the guild, then a user who granted guilds.join is added by it.
    auto bot_link = f.cli({"url", "--scope", "bot"});
    auto bot_code = cli_fixture::code_from(bot_link.out.substr(0, bot_link.out.size() - 1)
                                           + "&guild_id=80351110224678912&emulator_user=80351110224678912");
    json_output bot(f.cli({"exchange", "--code", bot_code}));
    CHECK(std::string_view(bot.root["guild"]["name"]) == "1337 Krew");

    auto user_link = f.cli({"url", "--scope", "identify", "guilds.join", "role_connections.write"});
    auto user_code = cli_fixture::code_from(user_link.out.substr(0, user_link.out.size() - 1)
                                            + "&emulator_user=613425648685547541");
    json_output user(f.cli({"exchange", "--code", user_code}));
    auto access = user.text("access_token");
    json_output added(f.cli({"add-member", "--access-token", access, "--guild", "80351110224678912", "--user",
                             "613425648685547541", "--nick", "小龙"}));
    CHECK(bool(added.root["added"]));
    CHECK(std::string_view(added.root["member"]["nick"]) == "小龙");
    json_output already(f.cli({"add-member", "--access-token", access, "--guild", "80351110224678912", "--user",
                               "613425648685547541"}));
    CHECK_FALSE(bool(already.root["added"]));
    auto no_bot = f.env;
    no_bot.erase("DISCORD_BOT_TOKEN");
    check_failed_cleanly(cli_fixture::cli({"add-member", "--access-token", access, "--guild", "80351110224678912",
                                           "--user", "613425648685547541"}, no_bot), 2, {access});

    json_output put(f.cli({"role-connection", "put", "--access-token", access, "--platform-name", "Chess Club",
                           "--metadata", "elo=1800", "wins=12"}));
    CHECK(std::string_view(put.root["metadata"]["elo"]) == "1800");
    json_output got(f.cli({"role-connection", "get", "--access-token", access}));
    CHECK(std::string_view(got.root["platform_name"]) == "Chess Club");
    CHECK(std::string_view(got.root["metadata"]["wins"]) == "12");
    auto too_long = f.cli({"role-connection", "put", "--access-token", access, "--platform-name", std::string(51, 'x')});
    check_failed_cleanly(too_long, 1, {access});
    CHECK(too_long.err.find("platform_name") != std::string::npos);
    json_output deleted(f.cli({"role-connection", "delete", "--access-token", access}));
    CHECK(bool(deleted.root["deleted"]));
}

TEST_CASE("usage errors exit with 2 in one line and where to read more; options come from the environment")
{
    cli_fixture f;
    auto expect_usage = [&](const std::vector<std::string>& args, const std::string& says, const std::string& see,
                            const std::map<std::string, std::string>* env = nullptr) {
        auto r = env ? cli_fixture::cli(args, *env) : f.cli(args);
        CAPTURE(r.err);
        check_failed_cleanly(r, 2, {client_secret, bot_token});
        // The reason, then where the help is: two lines, not the whole usage text.
        CHECK(r.err == "discord-oauth2: " + r.err.substr(16, r.err.find('\n') - 16) + "\nsee: " + see + "\n");
        CHECK(r.err.find(says) != std::string::npos);
        CHECK(r.err.find("usage: discord-oauth2") == std::string::npos);
    };
    expect_usage({"fly"}, "unknown command 'fly'", "discord-oauth2 --help");
    expect_usage({"me", "--frobnicate"}, "unknown option --frobnicate", "discord-oauth2 me --help");
    expect_usage({"me", "--code", "x"}, "me does not take --code", "discord-oauth2 me --help");
    expect_usage({"me"}, "needs an access token", "discord-oauth2 me --help");
    expect_usage({"exchange"}, "--code is required", "discord-oauth2 exchange --help");
    expect_usage({"exchange", "--code"}, "--code needs a value", "discord-oauth2 exchange --help");
    expect_usage({"url"}, "--scope is required", "discord-oauth2 url --help");
    expect_usage({"member", "--access-token", "t", "--guild", "krew"}, "--guild must be a snowflake",
                 "discord-oauth2 member --help");
    expect_usage({"guilds", "--access-token", "t", "--limit", "500"}, "--limit must be a whole number from 1 to 200",
                 "discord-oauth2 guilds --help");
    expect_usage({"revoke", "--token", "t", "--hint", "id_token"}, "--hint must be access_token or refresh_token",
                 "discord-oauth2 revoke --help");
    expect_usage({"role-connection", "--access-token", "t"}, "get, put or delete", "discord-oauth2 role-connection --help");
    expect_usage({"me", "extra", "--access-token", "t"}, "me takes no operand 'extra'", "discord-oauth2 me --help");
    std::map<std::string, std::string> nothing;
    expect_usage({"url", "--scope", "identify"}, "--client-id or set DISCORD_CLIENT_ID", "discord-oauth2 url --help",
                 &nothing);
    auto no_redirect = f.env;
    no_redirect.erase("DISCORD_REDIRECT_URI");
    expect_usage({"url", "--scope", "identify"}, "the redirect URI is missing", "discord-oauth2 url --help", &no_redirect);

    auto help = f.cli({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("role-connection get|put|delete") != std::string::npos);
    CHECK(help.out.find("Exit status: 0 done") != std::string::npos);
    // The synopses show secrets the safe way, as the help says they must be given.
    CHECK(help.out.find("--access-token T") == std::string::npos);
    CHECK(help.out.find("me [--access-token -|@FILE]") != std::string::npos);
    CHECK(help.out.find("exchange --code -|@FILE") != std::string::npos);

    // Options override the environment; a wrong secret is Discord's invalid_client, not a secret leak.
    auto wrong_secret = f.cli({"client-credentials", "--scope", "identify", "--client-secret", "not-the-secret"});
    check_failed_cleanly(wrong_secret, 1, {"not-the-secret", client_secret});
    CHECK(wrong_secret.err.find("invalid_client") != std::string::npos);

    auto nothing_listens = f.env;
    nothing_listens["DISCORD_API_BASE"] = "http://127.0.0.1:1";
    auto refused = cli_fixture::cli({"client-credentials", "--scope", "identify"}, nothing_listens);
    check_failed_cleanly(refused, 1, {client_secret});
}

TEST_CASE("--version, and --help for each command: its synopsis, what it does, the exit statuses")
{
    std::map<std::string, std::string> nothing;
    auto version = cli_fixture::cli({"--version"}, nothing);
    CHECK(version.exit_code == 0);
    CHECK(version.out == "discord-oauth2 0.1.0\n");
    for (const char* command : {"url", "exchange", "me", "guilds", "login", "grants", "serve", "role-connection"}) {
        CAPTURE(command);
        auto help = cli_fixture::cli({command, "--help"}, nothing);
        CHECK(help.exit_code == 0);
        CHECK(help.err.empty());
        CHECK(help.out.starts_with(std::string("usage: discord-oauth2 ") + command + " "));
        CHECK(help.out.find("Exit status: 0 done") != std::string::npos);
        CHECK(help.out.find("DISCORD_CLIENT_ID") != std::string::npos);
        // One command's help, not every command's.
        CHECK(help.out.find("client-credentials --scope") == std::string::npos);
        CHECK(help.out.size() < 3000);
    }
    auto serve = cli_fixture::cli({"serve", "--help"}, nothing);
    CHECK(serve.out.find("DISCORD_STATE_KEY_FILE") != std::string::npos);
    auto bare = cli_fixture::cli({}, nothing);
    CHECK(bare.exit_code == 2);
    CHECK(bare.err.find("usage: discord-oauth2 COMMAND") != std::string::npos);
}

TEST_CASE("Bearer reads need no client id; a token without the scope is told apart from a dead one")
{
    cli_fixture f;
    // A token for identify and email only, from the code flow.
    auto link = f.cli({"url", "--scope", "identify", "email"});
    REQUIRE(link.exit_code == 0);
    auto code = cli_fixture::code_from(link.out.substr(0, link.out.find('\n')));
    auto env = f.env;
    env["DISCORD_CODE"] = code;
    json_output grant(cli_fixture::cli({"exchange"}, env));
    auto access = grant.text("access_token");

    // Only the token and where Discord is: no client id, no secret.
    std::map<std::string, std::string> bearer_only{{"DISCORD_API_BASE", f.discord.base}, {"DISCORD_ACCESS_TOKEN", access}};
    json_output me(cli_fixture::cli({"me"}, bearer_only));
    CHECK(me.text("id") == "80351110224678912");
    json_output info(cli_fixture::cli({"authorization"}, bearer_only));

    auto guilds = cli_fixture::cli({"guilds"}, bearer_only);
    check_failed_cleanly(guilds, 1, {access});
    CHECK(guilds.err == "discord-oauth2: the access token lacks the guilds scope that guilds needs (it grants identify, email): "
                        "get a token that grants it\n");
    auto connections = cli_fixture::cli({"connections"}, bearer_only);
    CHECK(connections.err.find("lacks the connections scope") != std::string::npos);

    // A token Discord does not know: its own refusal, said once.
    bearer_only["DISCORD_ACCESS_TOKEN"] = "not-a-token-of-this-emulator";
    auto dead = cli_fixture::cli({"guilds"}, bearer_only);
    check_failed_cleanly(dead, 1, {"not-a-token-of-this-emulator"});
    CHECK(dead.err.find("the token is invalid, expired or revoked") != std::string::npos);
    CHECK(dead.err.find("lacks") == std::string::npos);
    // Each sentence once: the message is not followed by its code's meaning again.
    auto first = dead.err.find("invalid, expired or revoked");
    CHECK(dead.err.find("invalid, expired or revoked", first + 1) == std::string::npos);

    // A command that sends the application's id still needs it.
    auto role = cli_fixture::cli({"role-connection", "get"}, bearer_only);
    CHECK(role.exit_code == 2);
    CHECK(role.err.find("--client-id") != std::string::npos);
}

TEST_CASE("login runs the callback server, waits for the browser, and prints the grant")
{
    cli_fixture f;
    auto c = test::spawn(CLI_PROGRAM, {"login", "--scope", "identify", "connections", "--no-browser", "--timeout", "30s"},
                         f.env);
    auto intro = test::read_line(c.err);
    CHECK(intro.starts_with("Open this link to authorize"));
    auto link = test::read_line(c.err);
    REQUIRE(link.starts_with(f.discord.base + "/oauth2/authorize?"));

    CHECK(authorize_in_browser(link) == 200);

    auto out = test::read_all(c.out);
    auto rest = test::read_all(c.err);
    CHECK(test::wait_exit(c) == 0);
    CHECK(rest.empty());
    simdjson::dom::parser p;
    auto doc = p.parse(out);
    REQUIRE_FALSE(doc.error());
    CHECK(std::string_view(doc["user_id"]) == "80351110224678912");
    CHECK(std::string_view(doc["grant"]["scope"]) == "identify connections");
    auto access = std::string(std::string_view(doc["grant"]["access_token"]));
    json_output me(f.cli({"me", "--access-token", access}));
    CHECK(me.text("id") == "80351110224678912");

    auto waited = f.cli({"login", "--scope", "identify", "--no-browser", "--timeout", "200ms"});
    CHECK(waited.exit_code == 1);
    CHECK(waited.out.empty());
    CHECK(waited.err.starts_with("Open this link to authorize"));
    auto last_line = waited.err.substr(waited.err.rfind('\n', waited.err.size() - 2) + 1);
    CHECK(last_line.starts_with("discord-oauth2: no authorization arrived in time"));
    CHECK(waited.err.find(client_secret) == std::string::npos);
    auto bad = f.cli({"login", "--scope", "identify", "--timeout", "soon"});
    CHECK(bad.exit_code == 2);
}

namespace {

// What a `discord-oauth2 login` waiting for its browser shows of its dumpability: whether a
// SIGABRT left a core dump (the kernel says so in the wait status), and who owns its /proc
// directory (root, for a process that is not dumpable, unless we are root ourselves). It runs
// in a scratch directory, where a core file of the default pattern lands, with the core size
// limit raised as far as this process may.
struct dumpability {
    bool dumped = false;
    uid_t proc_owner = 0;
};

dumpability observe_login(const cli_fixture& f, const std::vector<std::string>& extra,
                          const std::map<std::string, std::string>& extra_env)
{
    auto dir = std::filesystem::temp_directory_path() / ("cli-core-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto here = std::filesystem::current_path();
    rlimit before{};
    ::getrlimit(RLIMIT_CORE, &before);
    rlimit raised = before;
    raised.rlim_cur = before.rlim_max; // the child inherits it
    ::setrlimit(RLIMIT_CORE, &raised);
    std::filesystem::current_path(dir);
    auto env = f.env;
    env.insert(extra_env.begin(), extra_env.end());
    std::vector<std::string> args{"login", "--scope", "identify", "--no-browser", "--timeout", "30s"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto c = test::spawn(CLI_PROGRAM, args, env);
    std::filesystem::current_path(here);
    ::setrlimit(RLIMIT_CORE, &before);
    // The link is printed once the command runs: long after main decided about dumps.
    auto intro = test::read_line(c.err);
    CHECK(intro.starts_with("Open this link to authorize"));
    dumpability seen;
    struct stat st {};
    if (::stat(("/proc/" + std::to_string(c.pid)).c_str(), &st) == 0)
        seen.proc_owner = st.st_uid;
    ::kill(c.pid, SIGABRT);
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    ::close(c.out);
    ::close(c.err);
    std::filesystem::remove_all(dir);
    seen.dumped = WIFSIGNALED(status) && WCOREDUMP(status);
    return seen;
}

} // namespace

TEST_CASE("the command line is not dumpable: a crash leaves no core file unless --allow-core-dumps says so")
{
    cli_fixture f;
    std::map<std::string, std::string> none;
    auto by_default = observe_login(f, {}, none);
    auto allowed = observe_login(f, {"--allow-core-dumps"}, none);
    std::map<std::string, std::string> variable{{"DISCORD_ALLOW_CORE_DUMPS", "1"}};
    auto by_variable = observe_login(f, {}, variable);
    CHECK_FALSE(by_default.dumped);
    if (allowed.dumped) {
        CHECK(by_variable.dumped);
    } else {
        // This system writes no core file for anyone (a core size limit this process cannot
        // raise, a sanitizer that turns them off): the dumps alone do not tell the two apart.
        MESSAGE("no core dump even with --allow-core-dumps: only /proc's owner can tell (not as root)");
    }
    // A process that is not dumpable has its /proc entries owned by root; root sees no difference.
    if (auto me = ::geteuid(); me != 0) {
        CHECK(by_default.proc_owner == 0);
        CHECK(allowed.proc_owner == me);
        CHECK(by_variable.proc_owner == me);
    }
}

TEST_CASE("login --user binds the link to that account and refuses another")
{
    cli_fixture f;
    const std::string nelly = "80351110224678912", xiao = "613425648685547541";
    auto c = test::spawn(CLI_PROGRAM, {"login", "--scope", "connections", "--user", nelly, "--no-browser", "--timeout", "30s"},
                         f.env);
    (void)test::read_line(c.err);
    auto link = test::read_line(c.err);
    REQUIRE(link.starts_with(f.discord.base + "/oauth2/authorize?"));
    CHECK(link.find("scope=identify%20connections") != std::string::npos); // identify proves who
    CHECK(authorize_in_browser(link + "&emulator_user=" + xiao) == 403);
    auto out = test::read_all(c.out);
    auto err = test::read_all(c.err);
    CHECK(test::wait_exit(c) == 1);
    CHECK(out.empty());
    CAPTURE(err);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK(err.find(nelly) != std::string::npos);
    CHECK(err.find(xiao) != std::string::npos);

    auto ok = test::spawn(CLI_PROGRAM, {"login", "--scope", "connections", "--user", xiao, "--no-browser", "--timeout", "30s"},
                          f.env);
    (void)test::read_line(ok.err);
    CHECK(authorize_in_browser(test::read_line(ok.err) + "&emulator_user=" + xiao) == 200);
    auto granted = test::read_all(ok.out);
    CHECK(test::wait_exit(ok) == 0);
    CHECK(granted.find("\"user_id\":\"" + xiao + "\"") != std::string::npos);
    CHECK(f.cli({"login", "--scope", "identify", "--user", "nelly"}).exit_code == 2);
}

TEST_CASE("login --store saves the grant; grants list, refresh, export, import and revoke")
{
    cli_fixture f;
    auto dir = std::filesystem::temp_directory_path() / ("cli-grants-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto key_file = (dir / "grants.key").string();
    std::ofstream(key_file) << std::string(64, 'a') << "\n";
    std::filesystem::permissions(key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto env = f.env;
    env["DISCORD_STORE"] = "sqlite:" + (dir / "grants.db").string();
    env["DISCORD_STORE_KEY_FILE"] = key_file;

    auto c = test::spawn(CLI_PROGRAM, {"login", "--scope", "identify", "--no-browser"}, env);
    (void)test::read_line(c.err);
    auto link = test::read_line(c.err);
    (void)authorize_in_browser(link);
    (void)test::read_all(c.out);
    (void)test::read_all(c.err);
    REQUIRE(test::wait_exit(c) == 0);

    json_output listed(cli_fixture::cli({"grants", "list"}, env));
    simdjson::dom::array grants = listed.root;
    REQUIRE(grants.size() == 1);
    CHECK(std::string_view(grants.at(0)["user_id"]) == "80351110224678912");
    CHECK_FALSE(bool(grants.at(0)["needs_reauthorization"]));
    CHECK(listed.root.at(0)["access_token"].error() == simdjson::NO_SUCH_FIELD); // no token printed

    json_output refreshed(cli_fixture::cli({"grants", "refresh", "--all"}, env));
    CHECK(simdjson::dom::array(refreshed.root["refreshed"]).size() == 1);

    auto exported = cli_fixture::cli({"grants", "export"}, env);
    REQUIRE(exported.exit_code == 0);
    // Written by the command: a new file only its owner can read, never an existing one.
    auto private_export = (dir / "private-export.json").string();
    json_output written(cli_fixture::cli({"grants", "export", "--file", private_export}, env));
    CHECK(written.text("file") == private_export);
    CHECK((std::filesystem::status(private_export).permissions() & std::filesystem::perms::all)
          == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    auto again = cli_fixture::cli({"grants", "export", "--file", private_export}, env);
    CHECK(again.exit_code == 1);
    CHECK(again.err.find("exists already") != std::string::npos);
    // The key file must be its owner's alone.
    std::filesystem::permissions(key_file, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
    auto loose = cli_fixture::cli({"grants", "list"}, env);
    CHECK(loose.exit_code == 1);
    CHECK(loose.err.find("chmod 600 " + key_file) != std::string::npos);
    std::filesystem::permissions(key_file, std::filesystem::perms::group_read, std::filesystem::perm_options::remove);
    auto export_file = (dir / "export.json").string();
    std::ofstream(export_file) << exported.out;
    auto other = env;
    other["DISCORD_STORE"] = "sqlite:" + (dir / "other.db").string();
    json_output imported(cli_fixture::cli({"grants", "import", "--file", export_file}, other));
    CHECK(uint64_t(imported.root["imported"]) == 1);

    json_output revoked(cli_fixture::cli({"grants", "revoke", "--user", "80351110224678912"}, env));
    CHECK(simdjson::dom::array(revoked.root["revoked"]).size() == 1);
    json_output empty(cli_fixture::cli({"grants", "list"}, env));
    CHECK(simdjson::dom::array(empty.root).size() == 0);

    // The imported copy's tokens died with that revocation: a refresh flags it, and revoking it
    // reports it forgotten (removed here), not revoked.
    auto dead = cli_fixture::cli({"grants", "refresh", "--all"}, other);
    CHECK(dead.exit_code == 1);
    json_output forgotten(cli_fixture::cli({"grants", "revoke", "--all"}, other));
    CHECK(simdjson::dom::array(forgotten.root["revoked"]).size() == 0);
    REQUIRE(simdjson::dom::array(forgotten.root["forgotten"]).size() == 1);
    CHECK(std::string_view(forgotten.root["forgotten"].at(0)) == "80351110224678912");
    json_output none_left(cli_fixture::cli({"grants", "list"}, other));
    CHECK(simdjson::dom::array(none_left.root).size() == 0);

    auto no_store = cli_fixture::cli({"grants", "list"}, f.env);
    CHECK(no_store.exit_code == 2);
    auto both = cli_fixture::cli({"grants", "refresh"}, env);
    CHECK(both.exit_code == 2);
    std::filesystem::remove_all(dir);
}

TEST_CASE("--store postgres://: grants list, refresh and revoke on PostgreSQL; a wrong role or port is one clear line")
{
    cli_fixture f;
    test::postgres_cluster db;
    auto dir = std::filesystem::temp_directory_path() / ("cli-pg-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto key_file = (dir / "grants.key").string();
    std::ofstream(key_file) << std::string(64, 'b') << "\n";
    std::filesystem::permissions(key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    {
        asio::io_context io;
        std::shared_ptr<discord::oauth2::postgres_token_store> store;
        test::run(io, [&]() -> asio::awaitable<void> {
            store = co_await discord::oauth2::postgres_token_store::open(
                io.get_executor(), db.url(), discord::oauth2::store_key::from_file(key_file));
        }());
        test::authorize(io, f.discord.base, *store, discord::oauth2::snowflake(42));
    }
    auto env = f.env;
    env["DISCORD_STORE"] = db.url();
    env["DISCORD_STORE_KEY_FILE"] = key_file;

    json_output listed(cli_fixture::cli({"grants", "list"}, env));
    simdjson::dom::array grants = listed.root;
    REQUIRE(grants.size() == 1);
    CHECK(std::string_view(grants.at(0)["user_id"]) == "42");
    json_output refreshed(cli_fixture::cli({"grants", "refresh", "--user", "42"}, env));
    CHECK(simdjson::dom::array(refreshed.root["refreshed"]).size() == 1);
    json_output revoked(cli_fixture::cli({"grants", "revoke", "--all"}, env));
    CHECK(simdjson::dom::array(revoked.root["revoked"]).size() == 1);

    auto stranger = env;
    stranger["DISCORD_STORE"] = "postgres://nobody:hunter2@127.0.0.1:" + std::to_string(db.port()) + "/postgres";
    auto refused = cli_fixture::cli({"grants", "list"}, stranger);
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("nobody") != std::string::npos); // the server's reason: no such role
    CHECK(refused.err.find("hunter2") == std::string::npos);
    auto nowhere = env;
    nowhere["DISCORD_STORE"] = "postgres://postgres@127.0.0.1:" + std::to_string(discord::oauth2::server::free_port()) + "/postgres";
    auto unreachable = cli_fixture::cli({"grants", "list"}, nowhere);
    CHECK(unreachable.exit_code == 1);
    CHECK(unreachable.err.starts_with("discord-oauth2: PostgreSQL"));
    auto malformed = env;
    malformed["DISCORD_STORE"] = "postgres://[::1";
    CHECK(cli_fixture::cli({"grants", "list"}, malformed).exit_code != 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("role-metadata put --file and get, application read and changed, with the bot token")
{
    cli_fixture f({"--no-event-url-check"}); // the event URL below has nothing listening
    auto dir = std::filesystem::temp_directory_path() / ("cli-role-metadata-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto file = (dir / "records.json").string();
    std::ofstream(file) << R"([{"type":2,"key":"rating","name":"Rating","description":"Club rating at least","name_localizations":{"fr":"Classement"}},
                              {"type":7,"key":"verified","name":"Verified","description":"A verified member"}])";
    json_output put(f.cli({"role-metadata", "put", "--file", file}));
    auto records = simdjson::dom::array(put.root);
    REQUIRE(records.size() == 2);
    CHECK(std::string_view(records.at(0)["name_localizations"]["fr"]) == "Classement");
    json_output got(f.cli({"role-metadata", "get"}));
    CHECK(std::string_view(simdjson::dom::array(got.root).at(1)["key"]) == "verified");
    CHECK(int64_t(simdjson::dom::array(got.root).at(1)["type"]) == 7);

    // Refused before anything is sent: a type Discord does not have (exit 1, one line), a file
    // that is not records (exit 2), no file, no bot token.
    std::ofstream(file) << R"([{"type":9,"key":"rating","name":"Rating","description":"x"}])";
    auto bad_type = f.cli({"role-metadata", "put", "--file", file});
    check_failed_cleanly(bad_type, 1, {bot_token});
    CHECK(bad_type.err.find("type must be 1 to 8") != std::string::npos);
    std::ofstream(file) << R"({"key":"rating"})";
    auto not_records = f.cli({"role-metadata", "put", "--file", file});
    check_failed_cleanly(not_records, 2, {bot_token});
    CHECK(not_records.err.find("not a JSON array of metadata records") != std::string::npos);
    check_failed_cleanly(f.cli({"role-metadata", "put"}), 2, {bot_token});
    check_failed_cleanly(f.cli({"role-metadata", "list"}), 2, {bot_token});
    auto no_bot = f.env;
    no_bot.erase("DISCORD_BOT_TOKEN");
    check_failed_cleanly(cli_fixture::cli({"role-metadata", "get"}, no_bot), 1, {});
    json_output unchanged(f.cli({"role-metadata", "get"}));
    CHECK(simdjson::dom::array(unchanged.root).size() == 2);

    json_output app(f.cli({"application"}));
    CHECK(std::string_view(app.root["id"]) == client_id);
    CHECK(std::string_view(app.root["verify_key"]).size() == 64);
    CHECK(int64_t(app.root["event_webhooks_status"]) == 1);
    json_output changed(f.cli({"application", "--verification-url", "http://127.0.0.1:1/linked-role",
                               "--event-webhooks-url", "http://127.0.0.1:1/events", "--event-webhooks-status", "2",
                               "--event-webhooks-type", "APPLICATION_AUTHORIZED", "APPLICATION_DEAUTHORIZED"}));
    CHECK(std::string_view(changed.root["role_connections_verification_url"]) == "http://127.0.0.1:1/linked-role");
    CHECK(int64_t(changed.root["event_webhooks_status"]) == 2);
    CHECK(simdjson::dom::array(changed.root["event_webhooks_types"]).size() == 2);
    check_failed_cleanly(f.cli({"application", "--event-webhooks-status", "3"}), 2, {bot_token});
    std::filesystem::remove_all(dir);
}

TEST_CASE("login --device: the code on stderr (no QR code into a pipe), the person enters it, the grant on stdout")
{
    cli_fixture f;
    auto c = test::spawn(CLI_PROGRAM, {"login", "--device", "--scope", "identify", "connections"}, f.env);
    std::string said;
    std::string code;
    for (int i = 0; i < 5 && code.empty(); ++i) {
        auto line = test::read_line_within(c.err, std::chrono::seconds(20));
        said += line + "\n";
        if (auto at = line.find("enter the code "); at != std::string::npos)
            code = line.substr(at + 15);
    }
    INFO(said);
    REQUIRE(code.size() == 9);
    CHECK(said.find("/activate") != std::string::npos);
    {
        asio::io_context io;
        http::client browser(io.get_executor());
        test::run(io, [&]() -> asio::awaitable<void> {
            http::request r;
            r.method = "POST";
            r.url = f.discord.base + "/activate";
            r.fields.add("Content-Type", "application/x-www-form-urlencoded");
            r.body = "emulator_user=613425648685547541&user_code=" + code + "&decision=approve";
            auto answer = co_await browser.send(std::move(r));
            CHECK(answer.status == 200);
        }());
    }
    auto out = test::read_all(c.out);
    auto err = test::read_all(c.err);
    CHECK(test::wait_exit(c) == 0);
    CHECK((said + err).find("\u2588") == std::string::npos); // stdout is a pipe: no drawing
    simdjson::dom::parser parser;
    simdjson::dom::element grant;
    INFO(out);
    REQUIRE_FALSE(parser.parse(out).get(grant));
    CHECK(std::string_view(grant["user_id"]) == "613425648685547541");
    CHECK(std::string_view(grant["grant"]["scope"]) == "identify connections");

    auto no_identify = f.env;
    no_identify["DISCORD_STORE"] = "sqlite:/nonexistent/grants.db";
    check_failed_cleanly(cli_fixture::cli({"login", "--device", "--scope", "connections"}, no_identify), 2, {});
    check_failed_cleanly(f.cli({"login", "--device", "--scope", "identify", "--user", "1"}), 2, {});
}

TEST_CASE("command-permissions, group-dm and application --oauth2 from the shell")
{
    cli_fixture f;
    auto dir = std::filesystem::temp_directory_path() / ("cli-bearer-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto token_of = [&](std::vector<std::string> scopes, const std::string& user) {
        std::vector<std::string> args{"url", "--scope"};
        args.insert(args.end(), scopes.begin(), scopes.end());
        auto link = f.cli(args);
        auto code = cli_fixture::code_from(link.out.substr(0, link.out.size() - 1) + "&emulator_user=" + user);
        json_output token(f.cli({"exchange", "--code", code}));
        return token.text("access_token");
    };

    // Nelly owns the 1337 Krew: she sets who may use the application's global command there.
    auto admin = token_of({"identify", "applications.commands.permissions.update"}, "80351110224678912");
    auto file = (dir / "permissions.json").string();
    std::ofstream(file) << R"({"permissions": [{"id": "80351110224678912", "type": 1, "permission": false},
                                               {"id": "613425648685547541", "type": 2, "permission": true}]})";
    json_output put(f.cli({"command-permissions", "put", "--access-token", admin, "--guild", "80351110224678912",
                           "--command", "1300000000000000001", "--file", file}));
    CHECK(std::string_view(put.root["id"]) == "1300000000000000001");
    CHECK(simdjson::dom::array(put.root["permissions"]).size() == 2);
    json_output one(f.cli({"command-permissions", "get", "--access-token", admin, "--guild", "80351110224678912",
                           "--command", "1300000000000000001"}));
    CHECK(bool(simdjson::dom::array(one.root["permissions"]).at(1)["permission"]));
    json_output all(f.cli({"command-permissions", "get", "--access-token", admin, "--guild", "80351110224678912"}));
    CHECK(simdjson::dom::array(all.root).size() == 1);
    // What get printed goes back in as a file.
    std::ofstream(file) << one.root;
    json_output again(f.cli({"command-permissions", "put", "--access-token", admin, "--guild", "80351110224678912",
                             "--command", "1300000000000000001", "--file", file}));
    CHECK(simdjson::dom::array(again.root["permissions"]).size() == 2);
    std::ofstream(file) << R"({"permissions": [{"id": "1", "type": "role"}]})";
    auto not_permissions = f.cli({"command-permissions", "put", "--access-token", admin, "--guild", "80351110224678912",
                                  "--command", "1300000000000000001", "--file", file});
    check_failed_cleanly(not_permissions, 2, {admin});
    // Xiaolong is in the café without Manage Guild: Discord's refusal, one line, exit 1.
    auto member = token_of({"identify", "applications.commands.permissions.update"}, "613425648685547541");
    std::ofstream(file) << R"({"permissions": []})";
    auto refused = f.cli({"command-permissions", "put", "--access-token", member, "--guild", "290926798626357250",
                          "--command", "1300000000000000001", "--file", file});
    check_failed_cleanly(refused, 1, {member});
    check_failed_cleanly(f.cli({"command-permissions", "put", "--access-token", admin, "--guild", "80351110224678912"}), 2, {admin});

    // A group DM from two users' tokens (a file, never the command line), then a third added.
    auto tokens = (dir / "tokens").string();
    std::ofstream(tokens) << token_of({"identify", "gdm.join"}, "80351110224678912") << "\n"
                          << token_of({"identify", "gdm.join"}, "613425648685547541") << "\r\n\n";
    json_output group(f.cli({"group-dm", "create", "--tokens-file", tokens, "--nick", "613425648685547541=Xiao Long"}));
    CHECK(int64_t(group.root["type"]) == 3);
    CHECK(simdjson::dom::array(group.root["recipients"]).size() == 2);
    auto channel = group.text("id");
    auto zoe = token_of({"identify", "gdm.join"}, "175928847299117063");
    json_output added(f.cli({"group-dm", "add", "--access-token", zoe, "--channel", channel, "--user",
                             "175928847299117063", "--nick", "zoë"}));
    CHECK(bool(added.root["added"]));
    CHECK(simdjson::dom::array(added.root["channel"]["recipients"]).size() == 3);
    json_output already(f.cli({"group-dm", "add", "--access-token", zoe, "--channel", channel, "--user", "175928847299117063"}));
    CHECK_FALSE(bool(already.root["added"]));
    check_failed_cleanly(f.cli({"group-dm", "create"}), 2, {});
    check_failed_cleanly(f.cli({"group-dm", "create", "--tokens-file", tokens, "--nick", "Xiao Long"}), 2, {});
    auto no_bot = f.env;
    no_bot.erase("DISCORD_BOT_TOKEN");
    check_failed_cleanly(cli_fixture::cli({"group-dm", "create", "--tokens-file", tokens}, no_bot), 2, {});

    json_output app(f.cli({"application", "--oauth2"}));
    CHECK(std::string_view(app.root["id"]) == client_id);
    check_failed_cleanly(f.cli({"application", "--oauth2", "--event-webhooks-status", "2"}), 2, {bot_token});
    std::filesystem::remove_all(dir);
}

TEST_CASE("OpenID Connect from the shell: the URL's nonce, the ID token verified, userinfo")
{
    cli_fixture f;
    json_output link(f.cli({"url", "--scope", "openid", "identify", "email", "--pkce"}));
    auto address = link.text("url");
    auto at = address.find("nonce=");
    REQUIRE(at != std::string::npos);
    auto nonce = address.substr(at + 6, address.find('&', at) - at - 6);
    auto code = cli_fixture::code_from(address);
    json_output grant(f.cli({"exchange", "--code", code, "--code-verifier=" + link.text("code_verifier")}));
    auto id_token = grant.text("id_token");
    CHECK(std::count(id_token.begin(), id_token.end(), '.') == 2);

    auto env = f.env;
    env["DISCORD_ID_TOKEN"] = id_token; // never on the command line
    json_output claims(cli_fixture::cli({"verify-id-token", "--nonce", nonce}, env));
    CHECK(claims.text("sub") == "80351110224678912");
    CHECK(claims.text("nonce") == nonce);
    CHECK(claims.text("iss") == f.discord.base);
    CHECK(claims.text("email").find('@') != std::string::npos);
    auto wrong = cli_fixture::cli({"verify-id-token", "--nonce", "another-links-nonce"}, env);
    check_failed_cleanly(wrong, 1, {id_token});
    CHECK(wrong.err.find("nonce") != std::string::npos);
    auto tampered = env;
    tampered["DISCORD_ID_TOKEN"] = id_token.substr(0, id_token.rfind('.') + 1) + "AAAA";
    check_failed_cleanly(cli_fixture::cli({"verify-id-token"}, tampered), 1, {id_token});

    json_output info(f.cli({"userinfo", "--access-token", grant.text("access_token")}));
    CHECK(info.text("sub") == "80351110224678912");
    CHECK(info.text("preferred_username") == "Nelly");
}
