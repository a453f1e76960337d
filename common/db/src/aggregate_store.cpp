#include "nova/db/aggregate_store.hpp"

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

using detail::Placeholders;

namespace {

const detail::ObjectTable& Aggregates() {
    static const detail::ObjectTable t("aggregates", *objects::Aggregate::descriptor(),
                                       {"id", "uuid", "name", "created_at", "updated_at"});
    return t;
}

std::vector<objects::Aggregate> Load(Session& s, const std::string& where, const Params& params) {
    auto list = detail::LoadAll<objects::Aggregate>(Aggregates(), s.Query(Aggregates().Select(where), params));
    if (list.empty()) return list;
    std::map<std::int64_t, objects::Aggregate*> by_id;
    Params ids;
    for (auto& a : list) {
        by_id[a.id()] = &a;
        ids.emplace_back(a.id());
        objects::SetEmpty(a, "hosts");
        objects::SetEmpty(a, "metadata");
    }
    const std::string in = " IN (" + Placeholders(ids.size()) + ")";
    for (const auto& row : s.Query("SELECT `aggregate_id`, `host` FROM `aggregate_hosts`"
                                   " WHERE `aggregate_id`" + in + " ORDER BY `id`", ids)) {
        by_id.at(row.Int("aggregate_id"))->add_hosts(row.String("host"));
    }
    for (const auto& row : s.Query("SELECT `aggregate_id`, `key`, `value` FROM `aggregate_metadata`"
                                   " WHERE `aggregate_id`" + in, ids)) {
        (*by_id.at(row.Int("aggregate_id"))->mutable_metadata())[row.String("key")] = row.String("value");
    }
    for (auto& a : list) objects::ResetChanges(a);
    return list;
}

void RequireAggregate(Session& s, std::int64_t id) {
    if (s.Query("SELECT `id` FROM `aggregates` WHERE `id` = ? FOR UPDATE", {id}).empty()) {
        throw AggregateNotFound({{"aggregate_id", id}});
    }
}

}  // namespace

void AggregateStore::Create(objects::Aggregate& aggregate) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        try {
            aggregate.set_id(Aggregates().Insert(s, aggregate, now));
        } catch (const DBDuplicateEntry&) {
            throw AggregateNameExists({{"aggregate_name", aggregate.name()}});
        }
        for (const auto& [k, v] : aggregate.metadata()) {
            s.Execute("INSERT INTO `aggregate_metadata` (`aggregate_id`, `key`, `value`, `created_at`)"
                      " VALUES (?, ?, ?, ?)",
                      {aggregate.id(), k, v, now});
        }
        for (const auto& h : aggregate.hosts()) {
            s.Execute("INSERT INTO `aggregate_hosts` (`aggregate_id`, `host`, `created_at`) VALUES (?, ?, ?)",
                      {aggregate.id(), h, now});
        }
    });
    objects::ResetChanges(aggregate);
}

objects::Aggregate AggregateStore::GetById(std::int64_t id) {
    return pool_.Transaction([&](Session& s) {
        auto list = Load(s, "WHERE `id` = ?", {id});
        if (list.empty()) throw AggregateNotFound({{"aggregate_id", id}});
        return std::move(list.front());
    });
}

objects::Aggregate AggregateStore::GetByUuid(const std::string& uuid) {
    return pool_.Transaction([&](Session& s) {
        auto list = Load(s, "WHERE `uuid` = ?", {uuid});
        if (list.empty()) throw AggregateNotFound({{"aggregate_id", uuid}});
        return std::move(list.front());
    });
}

std::vector<objects::Aggregate> AggregateStore::GetAll() {
    return pool_.Transaction([&](Session& s) { return Load(s, "ORDER BY `id`", {}); });
}

std::vector<objects::Aggregate> AggregateStore::GetByHost(const std::string& host,
                                                          std::optional<std::string> key) {
    return pool_.Transaction([&](Session& s) {
        std::string where = "WHERE `id` IN (SELECT `aggregate_id` FROM `aggregate_hosts` WHERE `host` = ?)";
        Params params{host};
        if (key) {
            where += " AND `id` IN (SELECT `aggregate_id` FROM `aggregate_metadata` WHERE `key` = ?)";
            params.emplace_back(*key);
        }
        return Load(s, where + " ORDER BY `id`", params);
    });
}

void AggregateStore::AddHost(std::int64_t id, const std::string& host) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        RequireAggregate(s, id);
        try {
            s.Execute("INSERT INTO `aggregate_hosts` (`aggregate_id`, `host`, `created_at`) VALUES (?, ?, ?)",
                      {id, host, now});
        } catch (const DBDuplicateEntry&) {
            throw AggregateHostExists({{"aggregate_id", id}, {"host", host}});
        }
    });
}

void AggregateStore::DeleteHost(std::int64_t id, const std::string& host) {
    pool_.Transaction([&](Session& s) {
        RequireAggregate(s, id);
        if (s.Execute("DELETE FROM `aggregate_hosts` WHERE `aggregate_id` = ? AND `host` = ?", {id, host}) == 0) {
            throw AggregateHostNotFound({{"aggregate_id", id}, {"host", host}});
        }
    });
}

void AggregateStore::UpdateMetadata(std::int64_t id,
                                    const std::map<std::string, std::optional<std::string>>& updates) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        RequireAggregate(s, id);
        for (const auto& [k, v] : updates) {
            if (!v) {
                s.Execute("DELETE FROM `aggregate_metadata` WHERE `aggregate_id` = ? AND `key` = ?", {id, k});
                continue;
            }
            s.Execute("INSERT INTO `aggregate_metadata` (`aggregate_id`, `key`, `value`, `created_at`)"
                      " VALUES (?, ?, ?, ?)"
                      " ON DUPLICATE KEY UPDATE `value` = VALUES(`value`), `updated_at` = VALUES(`created_at`)",
                      {id, k, *v, now});
        }
    });
}

void AggregateStore::Save(objects::Aggregate& aggregate) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        try {
            if (Aggregates().Update(s, aggregate, objects::WhatChanged(aggregate), now, "`id` = ?",
                                    {aggregate.id()}) == 0) {
                throw AggregateNotFound({{"aggregate_id", aggregate.id()}});
            }
        } catch (const DBDuplicateEntry&) {
            throw AggregateNameExists({{"aggregate_name", aggregate.name()}});
        }
    });
    objects::ResetChanges(aggregate);
}

void AggregateStore::Destroy(std::int64_t id) {
    pool_.Transaction([&](Session& s) {
        RequireAggregate(s, id);
        s.Execute("DELETE FROM `aggregate_hosts` WHERE `aggregate_id` = ?", {id});
        s.Execute("DELETE FROM `aggregate_metadata` WHERE `aggregate_id` = ?", {id});
        s.Execute("DELETE FROM `aggregates` WHERE `id` = ?", {id});
    });
}

}  // namespace nova::db
