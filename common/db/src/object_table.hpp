#pragma once
// The mapping between an object type and a table, by reflection: each mapped field is one
// column (same name unless renamed). Scalars and datetimes are stored as such; lists, dicts
// and child objects as the JSON of their nova_object.data value (Nova keeps instance_extra,
// request_specs and build_requests the same way). Column names come only from this code, and
// every value is a bound parameter.
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <google/protobuf/timestamp.pb.h>

#include "nova/common/clock.hpp"
#include "nova/db/session.hpp"
#include "nova/objects/object.hpp"

namespace nova::db::detail {

class ObjectTable {
public:
    struct Mapping {
        std::string field;
        std::string column;
    };
    using Extra = std::vector<std::pair<std::string, Param>>;

    // `fields`: object fields stored in same-named columns; `renamed`: the others.
    ObjectTable(std::string table, const objects::Descriptor& type,
                std::vector<std::string> fields, std::vector<Mapping> renamed = {});

    const std::string& table() const { return table_; }
    // "`t`.`a` AS `a`, ..." for the mapped columns (aliased by field name).
    std::string SelectList(std::string_view alias) const;
    // The same, each column aliased `<prefix><field>` (a joined table's columns; see SubRow).
    std::string SelectList(std::string_view alias, std::string_view prefix) const;
    // "SELECT <list> FROM `table` <rest>".
    std::string Select(std::string_view rest) const;

    // INSERTs the object's mapped fields that are set or None, plus `extra` columns; fills
    // created_at from `now` when the object has the field and it is unset. Returns the new id
    // (Session::InsertReturningId: one round trip on MariaDB).
    std::int64_t Insert(Session& s, objects::Message& object, WallTime now,
                        const Extra& extra = {}) const;
    // Insert without reading the new id back.
    void InsertNoId(Session& s, objects::Message& object, WallTime now, const Extra& extra = {}) const;
    // INSERTs several objects with as few statements as their column sets allow (one when
    // they have the same fields set, as objects built by the same code do); fills created_at
    // as Insert does. Their ids are not read back.
    void InsertMany(Session& s, const std::vector<objects::Message*>& objects, WallTime now) const;
    // UPDATE ... SET <fields among the mapped ones>, updated_at = now, <extra> WHERE <where>.
    // Returns the rows matched.
    std::uint64_t Update(Session& s, objects::Message& object, const std::set<std::string>& fields,
                         WallTime now, std::string_view where, const Params& where_params,
                         const Extra& extra = {}) const;
    // Fills the mapped fields from a row (NULL becomes None where the field allows it).
    void Load(const Row& row, objects::Message& object) const;

    bool Maps(std::string_view field) const;
    // The bound value for one mapped field of `object`.
    Param ValueOf(const objects::Message& object, const objects::FieldDescriptor& f) const;

private:
    // The INSERT of Insert and InsertNoId and its values (fills created_at).
    std::pair<std::string, Params> InsertStatement(objects::Message& object, WallTime now,
                                                   const Extra& extra) const;

    std::string table_;
    const objects::Descriptor& type_;
    std::vector<std::pair<const objects::FieldDescriptor*, std::string>> columns_;
    // Field name (a loaded row's column label) -> index in columns_. The keys view the
    // descriptors' names, which live as long as the program.
    std::unordered_map<std::string_view, std::size_t> by_field_;
    bool has_updated_at_ = false;
};

// The columns of `row` named `<prefix>...`, under their names without the prefix.
Row SubRow(const Row& row, std::string_view prefix);

// `name` quoted as an identifier.
std::string Quote(std::string_view name);
// "?, ?, ?" for n values.
std::string Placeholders(std::size_t n);
WallTime FloorNow(const Clock& clock);
void SetTimestamp(google::protobuf::Timestamp& ts, WallTime t);

template <class T>
std::vector<T> LoadAll(const ObjectTable& table, const Rows& rows) {
    std::vector<T> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        T object;
        table.Load(row, object);
        objects::ResetChanges(object, true);
        out.push_back(std::move(object));
    }
    return out;
}

}  // namespace nova::db::detail
