// The process the crash-safety test kills: it opens the SQLite store, recovers what a previous
// kill left, says "ready", and refreshes every usable grant against the emulator, round and
// round, until SIGKILL.
//
//   crash_child DB KEY_HEX API_BASE
#include <discord/oauth2.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <cstdio>
#include <string>

namespace oauth2 = discord::oauth2;

int main(int argc, char** argv)
{
    if (argc != 4)
        return 2;
    std::string key_hex = argv[2];
    std::string key;
    for (std::size_t i = 0; i + 1 < key_hex.size(); i += 2)
        key.push_back(static_cast<char>(std::stoi(key_hex.substr(i, 2), nullptr, 16)));
    asio::io_context io(1);
    auto store = oauth2::sqlite_token_store::open(argv[1], oauth2::store_key::from_bytes(key));
    oauth2::client_config c;
    c.client_id = oauth2::snowflake(159799960412356608ULL);
    c.client_secret = oauth2::secret("emulator-airhorn-client-secret-0123456789");
    c.redirect_uri = "http://127.0.0.1:53134/callback";
    c.endpoints = oauth2::endpoints::under(argv[3]);
    oauth2::client discord(io.get_executor(), c);
    oauth2::refresher keeper(io.get_executor(), discord, store);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        (void)co_await keeper.recover();
        std::fputs("ready\n", stdout);
        std::fflush(stdout);
        for (;;) {
            auto users = co_await store->list();
            for (auto user : users) {
                std::optional<oauth2::error> failed;
                try {
                    (void)co_await keeper.refresh(user);
                } catch (const oauth2::error& e) {
                    failed = e; // a lost grant stays flagged; the test checks why
                }
            }
        }
    }, asio::detached);
    io.run();
    return 0;
}
