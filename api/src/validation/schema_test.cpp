#include "nova/api/validation/schema.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "nova/api/validation/parameter_types.hpp"
#include "nova/api/validation/python_text.hpp"
#include "nova/api/validation/unicode.hpp"
#include "nova/common/error.hpp"

using namespace nova::api::validation;

namespace {

std::string Validate(const Schema& schema, OrderedJson instance, bool body) {
    try {
        if (body) {
            schema.ValidateBody(instance);
        } else {
            schema.ValidateQuery(instance);
        }
        return "OK";
    } catch (const nova::ValidationError& e) {
        return e.message();
    }
}

}  // namespace

// Each line of the vectors file holds a schema, an instance and the message Nova Zed's own
// validator gives for it (api/tools/gen_validation_vectors.py runs Nova's code to make them).
TEST_CASE("validation: messages match Nova Zed's validator on recorded cases") {
    std::ifstream in(std::string(NOVA_SOURCE_DIR) + "/api/tests/data/validation_vectors.jsonl");
    REQUIRE(in.good());
    std::string line;
    int cases = 0;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        auto vector = OrderedJson::parse(line);
        Schema schema(vector["schema"]);
        CAPTURE(line);
        CHECK(Validate(schema, vector["instance"], vector["body"].get<bool>()) ==
              vector["expected"].get<std::string>());
        ++cases;
    }
    CHECK(cases > 100);
}

TEST_CASE("validation: unsupported keywords and formats are refused when compiling") {
    CHECK_THROWS_AS(Schema(OrderedJson{{"type", "object"}, {"$ref", "#/x"}}), std::invalid_argument);
    CHECK_THROWS_AS(Schema(OrderedJson{{"format", "email"}}), std::invalid_argument);
    CHECK_THROWS_AS(Schema(OrderedJson{{"type", "strnig"}}), std::invalid_argument);
    CHECK_NOTHROW(Schema(OrderedJson{{"type", "string"}, {"description", "annotation"}}));
}

TEST_CASE("validation: legacy v2 mode drops undeclared properties instead of refusing them") {
    Schema schema(OrderedJson{{"type", "object"},
                              {"properties", {{"name", types::Name()}}},
                              {"additionalProperties", false}});
    OrderedJson body = {{"name", "x"}, {"bogus", 1}};
    CHECK_NOTHROW(schema.ValidateBody(body, true));
    CHECK(body == OrderedJson{{"name", "x"}});
    OrderedJson strict = {{"name", "x"}, {"bogus", 1}};
    CHECK_THROWS_AS(schema.ValidateBody(strict, false), nova::ValidationError);
}

TEST_CASE("validation: the printable keyword stands for Nova's description characters") {
    Schema schema(OrderedJson{{"type", "object"}, {"properties", {{"description", types::Description()}}}});
    CHECK(Validate(schema, OrderedJson{{"description", "A server, with ünïcode"}}, true) == "OK");
    CHECK(Validate(schema, OrderedJson{{"description", nullptr}}, true) == "OK");
    CHECK(Validate(schema, OrderedJson{{"description", "bell\x07"}}, true) ==
          "Invalid input for field/attribute description. Value: bell\x07. 'bell\\x07' does not "
          "match '^[<printable characters>]*$'");
}

TEST_CASE("validation: a long value does not exhaust the regex engine") {
    Schema schema(OrderedJson{{"type", "object"}, {"properties", {{"tag", types::Tag()}}}});
    std::string huge(110000, 'a');
    CHECK(Validate(schema, OrderedJson{{"tag", huge}}, true).find("is too long") != std::string::npos);
    Schema pattern_only(OrderedJson{{"type", "string"}, {"pattern", "^[^,/]*$"}});
    OrderedJson value = huge;
    CHECK_FALSE(pattern_only.FirstError(value).has_value());
}

TEST_CASE("validation: Python's repr of strings and floats") {
    CHECK(PythonReprString("plain") == "'plain'");
    CHECK(PythonReprString("it's") == "\"it's\"");
    CHECK(PythonReprString("both ' and \"") == "'both \\' and \"'");
    CHECK(PythonReprString("tab\tnl\n\x01") == "'tab\\tnl\\n\\x01'");
    CHECK(PythonReprString("nbsp\u00a0ls\u2028") == "'nbsp\\xa0ls\\u2028'");
    CHECK(PythonReprString("snow ☃ \U0001F600") == "'snow ☃ \U0001F600'");
    CHECK(PythonFloatRepr(1.5) == "1.5");
    CHECK(PythonFloatRepr(100.0) == "100.0");
    CHECK(PythonFloatRepr(1e16) == "1e+16");
    CHECK(PythonFloatRepr(1e15) == "1000000000000000.0");
    CHECK(PythonFloatRepr(0.0001) == "0.0001");
    CHECK(PythonFloatRepr(0.00001) == "1e-05");
    CHECK(PythonFloatRepr(0.1) == "0.1");
    CHECK(PythonFloatRepr(-2.5e-7) == "-2.5e-07");
}

TEST_CASE("validation: uuid-like as oslo.utils") {
    CHECK(IsUuidLike("70a599e0-31e7-49b7-b260-868f441e862b"));
    CHECK(IsUuidLike("70A599E031E749B7B260868F441E862B"));
    CHECK(IsUuidLike("urn:uuid:70a599e0-31e7-49b7-b260-868f441e862b"));
    CHECK_FALSE(IsUuidLike("70a599e0-31e7-49b7-b260-868f441e862"));
    CHECK_FALSE(IsUuidLike("g0a599e0-31e7-49b7-b260-868f441e862b"));
    CHECK_FALSE(IsUuidLike("detail"));
}

TEST_CASE("validation: UTF-8 decoding refuses malformed text") {
    CHECK(DecodeUtf8("h\xc3\xa9")->size() == 2);
    CHECK_FALSE(DecodeUtf8("\xc3").has_value());
    CHECK_FALSE(DecodeUtf8("\xed\xa0\x80").has_value());  // a surrogate
    CHECK_FALSE(DecodeUtf8("\xc0\xaf").has_value());      // overlong '/'
    CHECK(ClassOf(U'a') == CharClass::kGraphic);
    CHECK(ClassOf(U' ') == CharClass::kSpace);
    CHECK(ClassOf(0x2028) == CharClass::kLineSep);
    CHECK(ClassOf(0x0378) == CharClass::kOther);  // unassigned
}
