#include "nova/api/validation/parameter_types.hpp"

namespace nova::api::validation::types {

namespace {
constexpr int kMaxTagLength = 60;  // nova.objects.tag.MAX_TAG_LENGTH
constexpr int kMaxInt = 0x7FFFFFFF;  // nova.db.constants.MAX_INT
}  // namespace

OrderedJson Boolean() {
    return {{"type", {"boolean", "string"}},
            {"enum", {true,  "True", "TRUE",  "true",  "1",  "ON",  "On",  "on",
                      "YES", "Yes",  "yes",   false,   "False", "FALSE", "false", "0",
                      "OFF", "Off",  "off",   "NO",    "No",    "no"}}};
}

OrderedJson NoneValue() { return {{"enum", {"None", nullptr, OrderedJson::object()}}}; }

OrderedJson NameOrNone() {
    return {{"oneOf", {{{"type", "string"}, {"minLength", 1}, {"maxLength", 255}},
                       {{"type", "null"}}}}};
}

OrderedJson PositiveInteger() {
    return {{"type", {"integer", "string"}}, {"pattern", "^[0-9]*$"}, {"minimum", 1},
            {"minLength", 1}};
}

OrderedJson NonNegativeInteger() {
    return {{"type", {"integer", "string"}}, {"pattern", "^[0-9]*$"}, {"minimum", 0},
            {"minLength", 1}};
}

OrderedJson Hostname() {
    return {{"type", "string"}, {"minLength", 2}, {"maxLength", 63},
            {"pattern", "^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$"}};
}

OrderedJson Fqdn() {
    return {{"type", "string"}, {"minLength", 1}, {"maxLength", 255},
            {"pattern", "^[a-zA-Z0-9-._]*$"}};
}

OrderedJson Name() {
    return {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}, {"format", "name"}};
}

OrderedJson AzName() {
    return {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}, {"format", "az_name"}};
}

OrderedJson NameWithLeadingTrailingSpaces() {
    return {{"type", "string"}, {"minLength", 1}, {"maxLength", 255},
            {"format", "name_with_leading_trailing_spaces"}};
}

OrderedJson AzNameWithLeadingTrailingSpaces() {
    return {{"type", "string"}, {"minLength", 1}, {"maxLength", 255},
            {"format", "az_name_with_leading_trailing_spaces"}};
}

OrderedJson KeypairNameSpecialChars() {
    return {{"allOf", {Name(), {{"type", "string"}, {"minLength", 1}, {"maxLength", 255},
                                {"format", "keypair_name_20"}}}}};
}

OrderedJson KeypairNameSpecialChars292() {
    return {{"allOf", {Name(), {{"type", "string"}, {"minLength", 1}, {"maxLength", 255},
                                {"format", "keypair_name_292"}}}}};
}

OrderedJson Description() {
    return {{"type", {"string", "null"}}, {"minLength", 0}, {"maxLength", 255},
            {"printable", true}};
}

OrderedJson ProjectId() {
    return {{"type", "string"}, {"minLength", 1}, {"maxLength", 255},
            {"pattern", "^[a-zA-Z0-9-]*$"}};
}

OrderedJson Uuid() { return {{"type", "string"}, {"format", "uuid"}}; }

OrderedJson ImageIdOrEmptyString() {
    return {{"oneOf", {{{"type", "string"}, {"format", "uuid"}},
                       {{"type", "string"}, {"maxLength", 0}}}}};
}

OrderedJson VolumeType() {
    return {{"type", {"string", "null"}}, {"minLength", 0}, {"maxLength", 255}};
}

OrderedJson AdminPassword() { return {{"type", "string"}}; }

OrderedJson FlavorRef() { return {{"type", {"string", "integer"}}, {"minLength", 1}}; }

OrderedJson Metadata() {
    return {{"type", "object"},
            {"patternProperties",
             {{"^[a-zA-Z0-9-_:. ]{1,255}$", {{"type", "string"}, {"maxLength", 255}}}}},
            {"additionalProperties", false}};
}

OrderedJson MetadataWithNull() {
    return {{"type", "object"},
            {"patternProperties",
             {{"^[a-zA-Z0-9-_:. ]{1,255}$", {{"type", {"string", "null"}}, {"maxLength", 255}}}}},
            {"additionalProperties", false}};
}

OrderedJson MacAddress() {
    return {{"type", "string"}, {"pattern", "^([0-9a-fA-F]{2})(:[0-9a-fA-F]{2}){5}$"}};
}

OrderedJson IpAddress() {
    return {{"type", "string"}, {"oneOf", {{{"format", "ipv4"}}, {{"format", "ipv6"}}}}};
}

OrderedJson Ipv4() { return {{"type", "string"}, {"format", "ipv4"}}; }
OrderedJson Ipv6() { return {{"type", "string"}, {"format", "ipv6"}}; }
OrderedJson Cidr() { return {{"type", "string"}, {"format", "cidr"}}; }

OrderedJson VolumeSize() {
    return {{"type", {"integer", "string"}}, {"pattern", "^[0-9]+$"}, {"minimum", 1},
            {"maximum", kMaxInt}};
}

OrderedJson DiskConfig() { return {{"type", "string"}, {"enum", {"AUTO", "MANUAL"}}}; }

OrderedJson FlavorParamPositive() { return VolumeSize(); }

OrderedJson FlavorParamNonNegative() {
    OrderedJson s = VolumeSize();
    s["minimum"] = 0;
    return s;
}

OrderedJson Tag() {
    return {{"type", "string"}, {"minLength", 1}, {"maxLength", kMaxTagLength},
            {"pattern", "^[^,/]*$"}};
}

OrderedJson TrustedCerts() {
    return {{"type", {"array", "null"}}, {"minItems", 1}, {"maxItems", 50}, {"uniqueItems", true},
            {"items", {{"type", "string"}, {"minLength", 1}}}};
}

OrderedJson MultiParams(OrderedJson item_schema) {
    return {{"type", "array"}, {"items", std::move(item_schema)}};
}

OrderedJson SingleParam(OrderedJson item_schema) {
    OrderedJson s = MultiParams(std::move(item_schema));
    s["maxItems"] = 1;
    return s;
}

OrderedJson CommonQueryParam() { return MultiParams({{"type", "string"}}); }

OrderedJson CommonQueryRegexParam() {
    return MultiParams({{"type", "string"}, {"format", "regex"}});
}

OrderedJson PaginationParameters() {
    return {{"limit", MultiParams(NonNegativeInteger())},
            {"marker", MultiParams({{"type", "string"}})}};
}

}  // namespace nova::api::validation::types
