#include "object_table.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iterator>

#include <google/protobuf/timestamp.pb.h>

#include "nova/common/assert.hpp"
#include "nova/common/error.hpp"
#include "nova/common/time.hpp"
#include "nova/objects/options.pb.h"

namespace nova::db::detail {

using objects::FieldDescriptor;
using objects::Message;

namespace {

bool IsTimestamp(const FieldDescriptor& f) {
    return f.message_type() == google::protobuf::Timestamp::descriptor();
}

WallTime ToWall(const google::protobuf::Timestamp& ts) {
    return WallTime(std::chrono::duration_cast<WallTime::duration>(
        std::chrono::seconds(ts.seconds()) + std::chrono::nanoseconds(ts.nanos())));
}


// Plain columns hold scalars and datetimes; everything else is JSON text.
bool IsPlain(const FieldDescriptor& f) {
    if (f.is_repeated()) return false;
    if (f.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
    return IsTimestamp(f);
}

}  // namespace

std::string Quote(std::string_view name) { return "`" + std::string(name) + "`"; }

std::string Placeholders(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
    return out;
}

void SetTimestamp(google::protobuf::Timestamp& ts, WallTime t) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch());
    ts.set_seconds(secs.count());
    ts.set_nanos(static_cast<int>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch() - secs).count()));
}

WallTime FloorNow(const Clock& clock) { return timeutil::FloorSeconds(clock.Now()); }

ObjectTable::ObjectTable(std::string table, const objects::Descriptor& type,
                         std::vector<std::string> fields, std::vector<Mapping> renamed)
    : table_(std::move(table)), type_(type) {
    for (auto& name : fields) renamed.push_back({name, name});
    for (const auto& m : renamed) {
        const auto* f = type.FindFieldByName(m.field);
        NOVA_CHECK(f != nullptr, "no field " + m.field + " in " + type.name());
        columns_.emplace_back(f, m.column);
        if (m.column == "updated_at") has_updated_at_ = true;
    }
    for (std::size_t i = 0; i < columns_.size(); ++i) by_field_.emplace(columns_[i].first->name(), i);
}

bool ObjectTable::Maps(std::string_view field) const {
    for (const auto& [f, column] : columns_) {
        if (f->name() == field) return true;
    }
    return false;
}

std::string ObjectTable::SelectList(std::string_view alias) const {
    std::string out;
    for (const auto& [f, column] : columns_) {
        if (!out.empty()) out += ", ";
        out += std::string(alias) + "." + Quote(column) + " AS " + Quote(f->name());
    }
    return out;
}

std::string ObjectTable::SelectList(std::string_view alias, std::string_view prefix) const {
    std::string out;
    for (const auto& [f, column] : columns_) {
        if (!out.empty()) out += ", ";
        out += std::string(alias) + "." + Quote(column) + " AS " + Quote(std::string(prefix) + f->name());
    }
    return out;
}

Row SubRow(const Row& row, std::string_view prefix) {
    auto columns = std::make_shared<std::vector<std::string>>();
    std::vector<std::optional<std::string>> values;
    for (std::size_t i = 0; i < row.columns().size(); ++i) {
        const auto& name = row.columns()[i];
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        columns->push_back(name.substr(prefix.size()));
        values.push_back(row.value(i));
    }
    return Row(std::move(columns), std::move(values));
}

std::string ObjectTable::Select(std::string_view rest) const {
    return "SELECT " + SelectList(Quote(table_)) + " FROM " + Quote(table_) + " " +
           std::string(rest);
}

Param ObjectTable::ValueOf(const Message& object, const FieldDescriptor& f) const {
    if (objects::IsNull(object, f.name()) || !objects::IsSet(object, f.name())) return nullptr;
    const auto* r = object.GetReflection();
    if (IsPlain(f)) {
        switch (f.cpp_type()) {
            case FieldDescriptor::CPPTYPE_STRING:
                return r->GetString(object, &f);
            case FieldDescriptor::CPPTYPE_INT64:
                return r->GetInt64(object, &f);
            case FieldDescriptor::CPPTYPE_DOUBLE:
                return r->GetDouble(object, &f);
            case FieldDescriptor::CPPTYPE_BOOL:
                return r->GetBool(object, &f);
            case FieldDescriptor::CPPTYPE_MESSAGE:
                return ToWall(static_cast<const google::protobuf::Timestamp&>(r->GetMessage(object, &f)));
            default:
                break;
        }
        throw DBError({{"reason", "unsupported column type for " + f.full_name()}});
    }
    return objects::FieldToPrimitive(object, f.name()).dump();
}

std::int64_t ObjectTable::Insert(Session& s, Message& object, WallTime now,
                                 const Extra& extra) const {
    auto [sql, values] = InsertStatement(object, now, extra);
    return s.InsertReturningId(sql, values);
}

void ObjectTable::InsertNoId(Session& s, Message& object, WallTime now, const Extra& extra) const {
    auto [sql, values] = InsertStatement(object, now, extra);
    s.Execute(sql, values);
}

std::pair<std::string, Params> ObjectTable::InsertStatement(Message& object, WallTime now,
                                                            const Extra& extra) const {
    if (const auto* created = type_.FindFieldByName("created_at");
        created && Maps("created_at") && !objects::IsSet(object, "created_at")) {
        SetTimestamp(*static_cast<google::protobuf::Timestamp*>(
                         object.GetReflection()->MutableMessage(&object, created)),
                     now);
    }
    std::string cols;
    Params values;
    for (const auto& [f, column] : columns_) {
        if (!objects::IsSet(object, f->name()) && !objects::IsNull(object, f->name())) continue;
        if (f->name() == "deleted" || f->name() == "id") continue;  // the DB's to decide
        cols += (cols.empty() ? "" : ", ") + Quote(column);
        values.push_back(ValueOf(object, *f));
    }
    for (const auto& [column, value] : extra) {
        cols += (cols.empty() ? "" : ", ") + Quote(column);
        values.push_back(value);
    }
    return {"INSERT INTO " + Quote(table_) + " (" + cols + ") VALUES (" + Placeholders(values.size()) + ")",
            std::move(values)};
}

void ObjectTable::InsertMany(Session& s, const std::vector<Message*>& objects, WallTime now) const {
    // Rows grouped by their column list, in the order of the objects.
    std::vector<std::pair<std::string, std::vector<Params>>> groups;
    for (auto* object : objects) {
        if (const auto* created = type_.FindFieldByName("created_at");
            created && Maps("created_at") && !objects::IsSet(*object, "created_at")) {
            SetTimestamp(*static_cast<google::protobuf::Timestamp*>(
                             object->GetReflection()->MutableMessage(object, created)),
                         now);
        }
        std::string cols;
        Params values;
        for (const auto& [f, column] : columns_) {
            if (!objects::IsSet(*object, f->name()) && !objects::IsNull(*object, f->name())) continue;
            if (f->name() == "deleted" || f->name() == "id") continue;
            cols += (cols.empty() ? "" : ", ") + Quote(column);
            values.push_back(ValueOf(*object, *f));
        }
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == cols; });
        if (it == groups.end()) it = groups.insert(groups.end(), {cols, {}});
        it->second.push_back(std::move(values));
    }
    for (auto& [cols, rows] : groups) {
        std::string sql = "INSERT INTO " + Quote(table_) + " (" + cols + ") VALUES ";
        Params values;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            sql += (i ? ", (" : "(") + Placeholders(rows[i].size()) + ")";
            values.insert(values.end(), std::make_move_iterator(rows[i].begin()),
                          std::make_move_iterator(rows[i].end()));
        }
        s.Execute(sql, values);
    }
}

std::uint64_t ObjectTable::Update(Session& s, Message& object, const std::set<std::string>& fields,
                                  WallTime now, std::string_view where, const Params& where_params,
                                  const Extra& extra) const {
    std::string sets;
    Params values;
    for (const auto& [f, column] : columns_) {
        // Ids, timestamps and soft delete are the store's to write, never an object's.
        if (!fields.contains(f->name()) || f->name() == "id" || f->name() == "created_at" ||
            f->name() == "updated_at" || f->name() == "deleted" || f->name() == "deleted_at") {
            continue;
        }
        sets += (sets.empty() ? "" : ", ") + Quote(column) + " = ?";
        values.push_back(ValueOf(object, *f));
    }
    for (const auto& [column, value] : extra) {
        sets += (sets.empty() ? "" : ", ") + Quote(column) + " = ?";
        values.push_back(value);
    }
    if (has_updated_at_) {
        sets += (sets.empty() ? "" : ", ") + std::string("`updated_at` = ?");
        values.push_back(now);
        SetTimestamp(*static_cast<google::protobuf::Timestamp*>(object.GetReflection()->MutableMessage(
                         &object, type_.FindFieldByName("updated_at"))),
                     now);
    }
    if (sets.empty()) return 0;
    values.insert(values.end(), where_params.begin(), where_params.end());
    return s.Execute("UPDATE " + Quote(table_) + " SET " + sets + " WHERE " + std::string(where),
                     values);
}

void ObjectTable::Load(const Row& row, Message& object) const {
    const auto* r = object.GetReflection();
    const auto& names = row.columns();
    // Each column of the row once (a loaded row's columns are the mapped fields, in order).
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto found = by_field_.find(names[i]);
        if (found == by_field_.end()) continue;
        const auto* f = columns_[found->second].first;
        const auto& column = columns_[found->second].second;
        const auto& name = f->name();
        const auto& value = row.value(i);
        if (!value) {
            objects::Unset(object, name);
            if (f->options().GetExtension(objects::nullable)) objects::SetNull(object, name);
            continue;
        }
        const std::string& text = *value;
        if (!IsPlain(*f)) {
            auto json = Json::parse(text, nullptr, false);
            if (json.is_discarded()) {
                throw DBError({{"reason", table_ + "." + column + " holds malformed JSON"}});
            }
            objects::FieldFromPrimitive(object, name, json);
            continue;
        }
        auto integer = [&] {
            std::int64_t out = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
            if (ec != std::errc() || end != text.data() + text.size()) {
                throw DBError({{"reason", "column '" + name + "' is not an integer"}});
            }
            return out;
        };
        switch (f->cpp_type()) {
            case FieldDescriptor::CPPTYPE_STRING:
                r->SetString(&object, f, text);
                break;
            case FieldDescriptor::CPPTYPE_INT64:
                r->SetInt64(&object, f, integer());
                break;
            case FieldDescriptor::CPPTYPE_DOUBLE: {
                char* end = nullptr;
                double d = std::strtod(text.c_str(), &end);
                if (end == text.c_str() || *end != '\0') {
                    throw DBError({{"reason", "column '" + name + "' is not a number"}});
                }
                r->SetDouble(&object, f, d);
                break;
            }
            case FieldDescriptor::CPPTYPE_BOOL:
                r->SetBool(&object, f, integer() != 0);  // also soft delete's deleted = id
                break;
            case FieldDescriptor::CPPTYPE_MESSAGE: {
                auto t = timeutil::Parse(text);
                if (!t) throw DBError({{"reason", "column '" + name + "' is not a datetime"}});
                SetTimestamp(*static_cast<google::protobuf::Timestamp*>(r->MutableMessage(&object, f)), *t);
                break;
            }
            default:
                throw DBError({{"reason", "unsupported column type for " + f->full_name()}});
        }
    }
}

}  // namespace nova::db::detail
