#pragma once
// Request validation with the subset of JSON Schema (draft 4) that Nova's API schemas use,
// producing Nova's messages, e.g.
//   "Invalid input for field/attribute name. Value: 1. 1 is not of type 'string'"
//   "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'"
//
// Keywords: type, properties, patternProperties, additionalProperties (bool or schema),
// required, enum, minimum/maximum (+ draft 4's exclusive flags; numbers given as strings
// count, as in Nova), minLength/maxLength (code points), pattern, format, items (schema or
// list), minItems/maxItems, uniqueItems, minProperties/maxProperties, allOf, anyOf, oneOf,
// not. Annotations (description, title, default, $schema) are ignored. Formats: uuid, name,
// name_with_leading_trailing_spaces, az_name, az_name_with_leading_trailing_spaces,
// keypair_name_20, keypair_name_292, date-time, regex, ipv4, ipv6, cidr, base64, uri.
// nova-cpp's own keyword "printable": true stands for Nova's generated printable-characters
// pattern (parameter_types.description). Any other keyword is refused when the schema is
// compiled, so that a schema never silently checks less than it says.
//
// As in Nova (jsonschema's Validator.validate), the first error found wins: keywords are
// checked in the order they appear in the schema, properties in schema order.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nova::api::validation {

using OrderedJson = nlohmann::ordered_json;

// One failed check, as jsonschema reports it.
struct SchemaError {
    std::vector<OrderedJson> path;  // keys (strings) and indexes from the root to `instance`
    OrderedJson instance;           // the value that failed
    std::string message;            // jsonschema's message ("1 is not of type 'string'")
    std::optional<std::string> cause;  // InvalidName's message, which Nova shows instead
};

class Schema {
public:
    // Compiles a schema; throws std::invalid_argument for malformed schemas or keywords this
    // validator does not implement (a programming error, found when routes are built).
    explicit Schema(OrderedJson schema);
    ~Schema();
    Schema(Schema&&) noexcept;
    Schema& operator=(Schema&&) noexcept;

    // The first error, or nullopt when `instance` is valid. `relax_additional_properties`
    // is Nova's legacy v2 mode: undeclared properties are removed from `instance` instead of
    // refused (unless patternProperties are declared).
    std::optional<SchemaError> FirstError(OrderedJson& instance,
                                          bool relax_additional_properties = false) const;

    // Throws ValidationError with Nova's text for a request body.
    void ValidateBody(OrderedJson& body, bool legacy_v2 = false) const;
    // Throws ValidationError with Nova's text for query parameters (a {name: [values]} map).
    void ValidateQuery(OrderedJson& params) const;

    // The names declared in "properties", and the patternProperties regexes (for stripping
    // undeclared query parameters after validation, as Nova does).
    bool DeclaresParameter(const std::string& name) const;

    const OrderedJson& source() const { return source_; }

    struct Node;

private:
    OrderedJson source_;
    std::unique_ptr<Node> root_;
};

// Nova's detail text for an error: "Invalid input for field/attribute <last path element>.
// Value: <str(instance)>. <message>" for bodies, "Invalid input for query parameters <first
// path element>. ..." for queries, the bare message at the root, the cause when there is one.
std::string BodyErrorDetail(const SchemaError& error);
std::string QueryErrorDetail(const SchemaError& error);

// The string checks behind the formats, for code that validates outside a schema.
bool IsUuidLike(const std::string& text);  // oslo_utils.uuidutils.is_uuid_like
bool IsPrintableName(const std::u32string& text, bool allow_colon);
bool IsPrintableText(const std::u32string& text);  // Nova's description characters

}  // namespace nova::api::validation
