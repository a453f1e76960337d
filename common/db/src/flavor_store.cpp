#include "nova/db/flavor_store.hpp"

#include <atomic>
#include <map>

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

using detail::ObjectTable;
using detail::Placeholders;

namespace {

std::atomic<std::uint64_t> generation{0};

// Bumps the generation when a write is over, committed or not.
struct WriteDone {
    WriteDone() = default;
    WriteDone(const WriteDone&) = delete;
    WriteDone& operator=(const WriteDone&) = delete;
    ~WriteDone() { generation.fetch_add(1, std::memory_order_acq_rel); }
};

const ObjectTable& Flavors() {
    static const ObjectTable t("flavors", *objects::Flavor::descriptor(),
                               {"id", "name", "memory_mb", "vcpus", "root_gb", "ephemeral_gb",
                                "flavorid", "swap", "rxtx_factor", "vcpu_weight", "disabled",
                                "is_public", "description", "created_at", "updated_at"});
    return t;
}

std::vector<objects::Flavor> Load(Session& s, const std::string& where, const Params& params) {
    auto list = detail::LoadAll<objects::Flavor>(Flavors(), s.Query(Flavors().Select(where), params));
    if (list.empty()) return list;
    std::map<std::int64_t, objects::Flavor*> by_id;
    Params ids;
    for (auto& f : list) {
        by_id[f.id()] = &f;
        ids.emplace_back(f.id());
        objects::SetEmpty(f, "extra_specs");
        objects::SetEmpty(f, "projects");
    }
    const std::string in = " IN (" + Placeholders(ids.size()) + ")";
    for (const auto& row : s.Query("SELECT `flavor_id`, `key`, `value` FROM `flavor_extra_specs`"
                                   " WHERE `flavor_id`" + in, ids)) {
        (*by_id.at(row.Int("flavor_id"))->mutable_extra_specs())[row.String("key")] =
            row.OptString("value").value_or("");
    }
    for (const auto& row : s.Query("SELECT `flavor_id`, `project_id` FROM `flavor_projects`"
                                   " WHERE `flavor_id`" + in + " ORDER BY `id`", ids)) {
        by_id.at(row.Int("flavor_id"))->add_projects(row.String("project_id"));
    }
    for (auto& f : list) objects::ResetChanges(f, true);
    return list;
}

void WriteExtraSpecs(Session& s, const objects::Flavor& flavor, WallTime now) {
    std::map<std::string, std::string> old;
    for (const auto& row : s.Query("SELECT `key`, `value` FROM `flavor_extra_specs` WHERE `flavor_id` = ?",
                                   {flavor.id()})) {
        old[row.String("key")] = row.OptString("value").value_or("");
    }
    for (const auto& [k, v] : old) {
        if (!flavor.extra_specs().contains(k)) {
            s.Execute("DELETE FROM `flavor_extra_specs` WHERE `flavor_id` = ? AND `key` = ?", {flavor.id(), k});
        }
    }
    for (const auto& [k, v] : flavor.extra_specs()) {
        auto it = old.find(k);
        if (it == old.end()) {
            s.Execute("INSERT INTO `flavor_extra_specs` (`flavor_id`, `key`, `value`, `created_at`)"
                      " VALUES (?, ?, ?, ?)",
                      {flavor.id(), k, v, now});
        } else if (it->second != v) {
            s.Execute("UPDATE `flavor_extra_specs` SET `value` = ?, `updated_at` = ?"
                      " WHERE `flavor_id` = ? AND `key` = ?",
                      {v, now, flavor.id(), k});
        }
    }
}

void WriteProjects(Session& s, const objects::Flavor& flavor, WallTime now) {
    s.Execute("DELETE FROM `flavor_projects` WHERE `flavor_id` = ?", {flavor.id()});
    for (const auto& p : flavor.projects()) {
        s.Execute("INSERT INTO `flavor_projects` (`flavor_id`, `project_id`, `created_at`) VALUES (?, ?, ?)",
                  {flavor.id(), p, now});
    }
}

std::int64_t IdOf(Session& s, const std::string& flavorid) {
    auto rows = s.Query("SELECT `id` FROM `flavors` WHERE `flavorid` = ?", {flavorid});
    if (rows.empty()) throw FlavorNotFound({{"flavor_id", flavorid}});
    return rows.front().Int("id");
}

}  // namespace

void FlavorStore::Create(objects::Flavor& flavor) {
    WriteDone done;
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        try {
            flavor.set_id(Flavors().Insert(s, flavor, now));
        } catch (const DBDuplicateEntry& e) {
            if (std::string(e.what()).find("flavorid") != std::string::npos) {
                throw FlavorIdExists({{"flavor_id", flavor.flavorid()}});
            }
            throw FlavorExists({{"name", flavor.name()}});
        }
        WriteExtraSpecs(s, flavor, now);
        WriteProjects(s, flavor, now);
    });
    if (flavor.extra_specs().empty()) objects::SetEmpty(flavor, "extra_specs");
    if (flavor.projects().empty()) objects::SetEmpty(flavor, "projects");
    objects::ResetChanges(flavor, true);
}

objects::Flavor FlavorStore::GetById(std::int64_t id) {
    return pool_.Transaction([&](Session& s) {
        auto list = Load(s, "WHERE `id` = ?", {id});
        if (list.empty()) throw FlavorNotFound({{"flavor_id", id}});
        return std::move(list.front());
    });
}

objects::Flavor FlavorStore::GetByFlavorId(const std::string& flavorid) {
    return pool_.Transaction([&](Session& s) {
        auto list = Load(s, "WHERE `flavorid` = ?", {flavorid});
        if (list.empty()) throw FlavorNotFound({{"flavor_id", flavorid}});
        return std::move(list.front());
    });
}

objects::Flavor FlavorStore::GetByName(const std::string& name) {
    return pool_.Transaction([&](Session& s) {
        auto list = Load(s, "WHERE `name` = ?", {name});
        if (list.empty()) throw FlavorNotFoundByName({{"flavor_name", name}});
        return std::move(list.front());
    });
}

std::vector<objects::Flavor> FlavorStore::GetAll(bool public_only) {
    return pool_.Transaction([&](Session& s) {
        return Load(s, public_only ? "WHERE `is_public` ORDER BY `flavorid`" : "ORDER BY `flavorid`", {});
    });
}

void FlavorStore::Save(objects::Flavor& flavor) {
    WriteDone done;
    auto now = detail::FloorNow(clock_);
    auto changed = objects::WhatChanged(flavor);
    pool_.Transaction([&](Session& s) {
        if (Flavors().Update(s, flavor, changed, now, "`id` = ?", {flavor.id()}) == 0) {
            throw FlavorNotFound({{"flavor_id", flavor.flavorid()}});
        }
        if (changed.contains("extra_specs")) WriteExtraSpecs(s, flavor, now);
        if (changed.contains("projects")) WriteProjects(s, flavor, now);
    });
    objects::ResetChanges(flavor, true);
}

void FlavorStore::Destroy(const std::string& flavorid) {
    WriteDone done;
    pool_.Transaction([&](Session& s) {
        auto id = IdOf(s, flavorid);
        s.Execute("DELETE FROM `flavor_extra_specs` WHERE `flavor_id` = ?", {id});
        s.Execute("DELETE FROM `flavor_projects` WHERE `flavor_id` = ?", {id});
        s.Execute("DELETE FROM `flavors` WHERE `id` = ?", {id});
    });
}

void FlavorStore::AddAccess(const std::string& flavorid, const std::string& project_id) {
    WriteDone done;
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        try {
            s.Execute("INSERT INTO `flavor_projects` (`flavor_id`, `project_id`, `created_at`) VALUES (?, ?, ?)",
                      {IdOf(s, flavorid), project_id, now});
        } catch (const DBDuplicateEntry&) {
            throw FlavorAccessExists({{"flavor_id", flavorid}, {"project_id", project_id}});
        }
    });
}

void FlavorStore::RemoveAccess(const std::string& flavorid, const std::string& project_id) {
    WriteDone done;
    pool_.Transaction([&](Session& s) {
        if (s.Execute("DELETE FROM `flavor_projects` WHERE `flavor_id` = ? AND `project_id` = ?",
                      {IdOf(s, flavorid), project_id}) == 0) {
            throw FlavorAccessNotFound({{"flavor_id", flavorid}, {"project_id", project_id}});
        }
    });
}

std::uint64_t FlavorStore::Generation() { return generation.load(std::memory_order_acquire); }

}  // namespace nova::db
