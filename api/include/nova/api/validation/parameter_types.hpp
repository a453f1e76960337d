#pragma once
// Nova's reusable schema fragments (nova/api/validation/parameter_types.py, Zed), for
// composing request schemas the way Nova's schemas/ modules do:
//
//   using namespace nova::api::validation::types;
//   const OrderedJson kCreate = {
//       {"type", "object"},
//       {"properties", {{"keypair", {{"type", "object"},
//                                    {"properties", {{"name", Name()}, ...}}, ...}}}},
//       {"required", {"keypair"}}, {"additionalProperties", false}};
#include "nova/api/validation/python_text.hpp"

namespace nova::api::validation::types {

OrderedJson Boolean();              // true/false and Nova's accepted strings ("yes", "0", ...)
OrderedJson NoneValue();            // "None", null or {}
OrderedJson NameOrNone();
OrderedJson PositiveInteger();      // an integer or a string of digits, >= 1
OrderedJson NonNegativeInteger();   // ... >= 0
OrderedJson Hostname();
OrderedJson Fqdn();
OrderedJson Name();                 // printable, no leading or trailing whitespace, 1..255
OrderedJson AzName();
OrderedJson NameWithLeadingTrailingSpaces();
OrderedJson AzNameWithLeadingTrailingSpaces();
OrderedJson KeypairNameSpecialChars();     // < 2.92
OrderedJson KeypairNameSpecialChars292();  // >= 2.92
OrderedJson Description();          // printable, 0..255, or null
OrderedJson ProjectId();
OrderedJson Uuid();                 // server_id, image_id, volume_id, network_id, port id
OrderedJson ImageIdOrEmptyString();
OrderedJson VolumeType();
OrderedJson AdminPassword();
OrderedJson FlavorRef();
OrderedJson Metadata();
OrderedJson MetadataWithNull();
OrderedJson MacAddress();
OrderedJson IpAddress();
OrderedJson Ipv4();
OrderedJson Ipv6();
OrderedJson Cidr();
OrderedJson VolumeSize();
OrderedJson DiskConfig();
OrderedJson FlavorParamPositive();
OrderedJson FlavorParamNonNegative();
OrderedJson Tag();
OrderedJson TrustedCerts();

// Query parameters arrive as lists of values.
OrderedJson MultiParams(OrderedJson item_schema);
OrderedJson SingleParam(OrderedJson item_schema);
OrderedJson CommonQueryParam();       // any number of strings
OrderedJson CommonQueryRegexParam();  // strings that compile as regexes
// {"limit": ..., "marker": ...}, to merge into a query schema's properties.
OrderedJson PaginationParameters();

}  // namespace nova::api::validation::types
