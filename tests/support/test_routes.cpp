#include "test_routes.hpp"

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <stdexcept>
#include <string>

namespace test {

namespace srv = discord::oauth2::server;

srv::router test_routes()
{
    srv::router r;
    auto text = [](std::string body) { return srv::response::with_body(200, "text/plain", std::move(body)); };
    r.add("GET", "/", [=](srv::request&) -> asio::awaitable<srv::response> { co_return text("root"); });
    r.add("GET", "/search", [=](srv::request& req) -> asio::awaitable<srv::response> {
        co_return text(std::string(req.query_param("q").value_or("")));
    });
    r.add("GET", "/items/{id}", [=](srv::request& req) -> asio::awaitable<srv::response> {
        co_return text(std::string(*req.path_param("id")));
    });
    r.add("POST", "/echo", [](srv::request& req) -> asio::awaitable<srv::response> {
        auto type = req.fields.find("content-type").value_or("application/octet-stream");
        auto echoed = srv::response::with_body(200, type, req.body);
        if (auto expect = req.fields.find("expect"))
            echoed.fields.add("X-Expect", *expect);
        co_return echoed;
    });
    for (const char* method : {"PUT", "DELETE", "PATCH"})
        r.add(method, "/method", [=](srv::request& req) -> asio::awaitable<srv::response> {
            co_return text(req.method + ":" + req.body);
        });
    r.add("GET", "/slow", [=](srv::request& req) -> asio::awaitable<srv::response> {
        auto ms = std::stoi(std::string(req.query_param("ms").value_or("100")));
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
        co_await t.async_wait(asio::use_awaitable);
        co_return text("slept");
    });
    r.add("GET", "/big", [=](srv::request& req) -> asio::awaitable<srv::response> {
        auto bytes = std::stoul(std::string(req.query_param("bytes").value_or("0")));
        co_return text(std::string(bytes, 'x'));
    });
    r.add("GET", "/boom", [](srv::request&) -> asio::awaitable<srv::response> {
        throw std::runtime_error("secret-internal-detail");
        co_return srv::response::plain(200);
    });
    r.add("GET", "/inject", [](srv::request&) -> asio::awaitable<srv::response> {
        auto resp = srv::response::plain(200);
        resp.fields.add("Location", "/ok\r\nSet-Cookie: evil=1");
        co_return resp;
    });
    r.add("GET", "/headers", [=](srv::request& req) -> asio::awaitable<srv::response> {
        auto resp = text("headers");
        resp.fields.add("X-Echo", std::string(req.fields.find("x-test").value_or("")));
        resp.fields.add("X-MiXeD-CaSe", "yes");
        resp.fields.add("X-Twice", "1");
        resp.fields.add("X-Twice", "2");
        co_return resp;
    });
    auto fields = [=](srv::request& req) -> asio::awaitable<srv::response> {
        std::string lines;
        for (auto [name, value] : req.fields)
            if (name.size() > 2 && (name[0] == 'x' || name[0] == 'X') && name[1] == '-')
                lines.append(name).append(": ").append(value).append("\n");
        co_return text(lines);
    };
    r.add("GET", "/fields", fields);
    r.add("POST", "/fields", fields);
    r.add("GET", "/reset", [](srv::request&) -> asio::awaitable<srv::response> {
        auto resp = srv::response::plain(200, "never sent");
        resp.how = srv::response::delivery::reset;
        co_return resp;
    });
    r.add("GET", "/truncate", [](srv::request&) -> asio::awaitable<srv::response> {
        auto resp = srv::response::with_body(200, "text/plain", std::string(100, 't'));
        resp.how = srv::response::delivery::truncate;
        co_return resp;
    });
    return r;
}

} // namespace test
