#include "json/writer.hpp"

#include <doctest/doctest.h>

#include <limits>

namespace json = discord::oauth2::json;

TEST_CASE("objects, arrays and scalars are written with commas in the right places")
{
    json::writer w;
    w.begin_object()
        .field("id", "80351110224678912")
        .field("verified", true)
        .field("flags", 64)
        .key("avatar").null()
        .key("features").begin_array().value("NEWS").value("BANNER").end_array()
        .key("empty").begin_object().end_object()
        .key("nested").begin_array().begin_object().field("a", std::int64_t{-1}).end_object().begin_array().end_array().end_array()
        .end_object();
    CHECK(w.str() == R"({"id":"80351110224678912","verified":true,"flags":64,"avatar":null,)"
                     R"("features":["NEWS","BANNER"],"empty":{},"nested":[{"a":-1},[]]})");
}

TEST_CASE("strings are escaped and always valid UTF-8")
{
    CHECK(json::quote("a\"b\\c") == R"("a\"b\\c")");
    CHECK(json::quote("line\nbreak\ttab\r\b\f") == R"("line\nbreak\ttab\r\b\f")");
    CHECK(json::quote(std::string_view("\x01\x1f", 2)) == R"("\u0001\u001f")");
    CHECK(json::quote("Zoë Ångström 🌸") == "\"Zoë Ångström 🌸\"");
    CHECK(json::quote("bad \xff byte") == "\"bad \xEF\xBF\xBD byte\"");
    CHECK(json::quote("\xC0\xAF") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");   // overlong '/'
    CHECK(json::quote("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""); // a surrogate
    CHECK(json::quote("</script>") == "\"</script>\"");
}

TEST_CASE("numbers, optional strings and misuse")
{
    json::writer w;
    w.begin_array()
        .value(std::numeric_limits<std::uint64_t>::max())
        .value(64.57)
        .value(std::numeric_limits<double>::infinity())
        .value_or_null(std::nullopt)
        .value_or_null(std::string("x"))
        .raw(R"({"pre":"built"})")
        .end_array();
    CHECK(w.str() == R"([18446744073709551615,64.57,null,null,"x",{"pre":"built"}])");

    json::writer bad;
    CHECK_THROWS(bad.key("outside"));
    CHECK_THROWS(bad.end_object());
    bad.begin_object().key("a");
    CHECK_THROWS(bad.key("b"));
}
