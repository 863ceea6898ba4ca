#include "core/serial_executor.hpp"

#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include <doctest/doctest.h>

#include <typeinfo>

using discord::oauth2::core::serial_executor;

namespace {

// any_executor::target<T>() does not check T in Asio 1.22; the type does.
template <class T>
bool holds(const asio::any_io_executor& ex)
{
    return ex.target_type() == typeid(T);
}

using any_strand = asio::strand<asio::any_io_executor>;
using io_executor = asio::io_context::executor_type;

} // namespace

TEST_CASE("a multi-threaded io_context gets a strand")
{
    asio::io_context io; // default hint: any number of threads
    auto ex = serial_executor(io.get_executor());
    CHECK(holds<any_strand>(ex));
    asio::io_context pool(4);
    CHECK(holds<any_strand>(serial_executor(pool.get_executor())));
}

TEST_CASE("a single-threaded io_context and an existing strand are used as they are")
{
    asio::io_context single(1);
    auto ex = serial_executor(single.get_executor());
    CHECK(holds<io_executor>(ex));
    CHECK(ex == asio::any_io_executor(single.get_executor()));

    asio::io_context io;
    asio::any_io_executor strand = asio::make_strand(io.get_executor());
    CHECK(serial_executor(strand) == strand);
    auto typed = asio::make_strand(io);
    CHECK(holds<asio::strand<io_executor>>(serial_executor(typed)));
}
