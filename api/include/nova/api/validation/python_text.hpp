#pragma once
// Python's str() and repr() of JSON values, as Nova's validation messages print them
// ("Value: {'name': 'x', 'bogus': 1}. 1 is not of type 'string'"). Objects keep the order
// of the request body, as Python's dicts do.
#include <string>

#include <nlohmann/json.hpp>

namespace nova::api::validation {

using OrderedJson = nlohmann::ordered_json;

std::string PythonRepr(const OrderedJson& value);
std::string PythonStr(const OrderedJson& value);
// Python's repr() of a float: the shortest text that reads back as the same double.
std::string PythonFloatRepr(double value);

}  // namespace nova::api::validation
