// libFuzzer target for grant imports (a file a person hands the command line): any document is
// either imported whole or refused whole with invalid_argument or a grant error, and a refused
// import leaves the store as it was.
#include "fuzz_check.hpp"

#include <discord/oauth2/error.hpp>
#include <discord/oauth2/grant_transfer.hpp>
#include <discord/oauth2/memory_token_store.hpp>
#include <discord/oauth2/token_store.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

namespace oauth2 = discord::oauth2;
using fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const auto key = oauth2::store_key::from_bytes(std::string(32, 'k'));
    std::string_view document(reinterpret_cast<const char*>(data), size);
    asio::io_context io(1);
    oauth2::memory_token_store store;
    std::exception_ptr failure;
    std::size_t imported = 0;
    std::size_t stored = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        try {
            imported = co_await oauth2::import_grants(store, key, document);
        } catch (...) {
            failure = std::current_exception();
        }
        stored = (co_await store.list()).size();
    }, [](std::exception_ptr e) { check(!e); });
    io.run();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const oauth2::error&) {
            check(stored == 0); // all or nothing
        } catch (...) {
            check(false); // only the library's errors
        }
    } else {
        check(stored <= imported); // the same user twice replaces
    }
    return 0;
}
