#include <discord/oauth2/foreign.hpp>

#include <asio/co_spawn.hpp>

namespace discord::oauth2::detail {

void start_foreign(asio::any_io_executor executor, asio::awaitable<void> operation,
                   std::function<void(std::exception_ptr)> done)
{
    asio::co_spawn(executor, std::move(operation), [done = std::move(done)](std::exception_ptr e) { done(e); });
}

} // namespace discord::oauth2::detail
