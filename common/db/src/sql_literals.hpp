#pragma once
// A statement with its `?` placeholders replaced by SQL literals, for the one-trip transaction
// (Pool::TransactionInOneTrip), whose statements go to the server inside one compound
// statement, where placeholders cannot be bound. Strings become `_utf8mb4 X'<hex>'`, so no
// byte of a value is ever read as SQL (no quoting or escaping to get wrong); times become
// 'YYYY-MM-DD HH:MM:SS'; booleans 1 or 0, as a bound boolean is sent.
#include <string>
#include <string_view>

#include "nova/db/session.hpp"

namespace nova::db::detail {

// Throws std::invalid_argument when the placeholders and `params` do not pair up. A `?`
// inside a quoted string or a quoted name ('...', "...", `...`) is not a placeholder.
std::string WithLiterals(std::string_view sql, const Params& params);

}  // namespace nova::db::detail
