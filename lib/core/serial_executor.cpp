#include "core/serial_executor.hpp"

#include <asio/io_context.hpp>
#include <asio/io_context_strand.hpp>
#include <asio/strand.hpp>

namespace discord::oauth2::core {

asio::any_io_executor serial_executor(const asio::any_io_executor& executor)
{
    if (target_as<asio::strand<asio::any_io_executor>>(executor)
        || target_as<asio::strand<asio::io_context::executor_type>>(executor))
        return executor;
    if (auto* io = target_as<asio::io_context::executor_type>(executor)) {
        // io_context's implementation is the scheduler service; its hint is what the caller
        // passed to io_context's constructor.
        auto& scheduler = asio::use_service<asio::detail::scheduler>(io->context());
        if (scheduler.concurrency_hint() == 1)
            return executor;
    }
    return asio::make_strand(executor);
}

} // namespace discord::oauth2::core
