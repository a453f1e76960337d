#pragma once
// One database connection in use: prepared statements with bound parameters, nothing else.
// A Session comes from Pool::Transaction (inside BEGIN ... COMMIT) and is used by one thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nova/common/clock.hpp"

namespace nova::db {

// A bound parameter: NULL, integer, float, boolean, text, or a UTC time (DATETIME).
using Param = std::variant<std::nullptr_t, std::int64_t, double, bool, std::string, WallTime>;
using Params = std::vector<Param>;

// One result row; values are read by column name (SELECT aliases) as text, converted on demand.
class Row {
public:
    Row(std::shared_ptr<const std::vector<std::string>> columns,
        std::vector<std::optional<std::string>> values)
        : columns_(std::move(columns)), values_(std::move(values)) {}

    bool Has(std::string_view column) const;
    bool IsNull(std::string_view column) const;
    // Throw DBError when the column is missing, NULL or not of the asked type.
    const std::string& String(std::string_view column) const;
    std::int64_t Int(std::string_view column) const;
    double Double(std::string_view column) const;
    bool Bool(std::string_view column) const;
    WallTime Time(std::string_view column) const;
    // nullopt for NULL.
    std::optional<std::string> OptString(std::string_view column) const;
    std::optional<std::int64_t> OptInt(std::string_view column) const;
    std::optional<WallTime> OptTime(std::string_view column) const;

    const std::vector<std::string>& columns() const { return *columns_; }
    const std::optional<std::string>& value(std::size_t i) const { return values_.at(i); }

private:
    const std::optional<std::string>& Raw(std::string_view column) const;
    std::shared_ptr<const std::vector<std::string>> columns_;
    std::vector<std::optional<std::string>> values_;
};

struct Rows {
    std::vector<Row> rows;
    bool empty() const { return rows.empty(); }
    std::size_t size() const { return rows.size(); }
    auto begin() const { return rows.begin(); }
    auto end() const { return rows.end(); }
    const Row& front() const { return rows.front(); }
};

class Session {
public:
    virtual ~Session() = default;
    Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Runs a SELECT (or anything with a result set). `sql` is a constant text with `?`
    // placeholders; values never go into the text.
    virtual Rows Query(std::string_view sql, const Params& params = {}) = 0;
    // Runs INSERT/UPDATE/DELETE/DDL; returns the number of rows matched/affected.
    virtual std::uint64_t Execute(std::string_view sql, const Params& params = {}) = 0;
    // The AUTO_INCREMENT id of the last INSERT on this session.
    virtual std::int64_t LastInsertId() = 0;
    // Runs an INSERT of one row into a table whose AUTO_INCREMENT column is `id` (every Nova
    // table's) and returns the row's id: here the INSERT and LastInsertId, two round trips; a
    // server that answers an INSERT with its row (MariaDB's INSERT ... RETURNING) makes it one.
    virtual std::int64_t InsertReturningId(std::string_view insert, const Params& params) {
        Execute(insert, params);
        return LastInsertId();
    }
};

}  // namespace nova::db
