#include "nova/db/block_device_store.hpp"

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

namespace {

const detail::ObjectTable& Mappings() {
    static const detail::ObjectTable t(
        "block_device_mapping", *objects::BlockDeviceMapping::descriptor(),
        {"id", "uuid", "instance_uuid", "source_type", "destination_type", "guest_format",
         "device_type", "disk_bus", "boot_index", "device_name", "delete_on_termination",
         "snapshot_id", "volume_id", "volume_size", "image_id", "no_device", "connection_info",
         "tag", "attachment_id", "volume_type", "encrypted", "encryption_secret_uuid",
         "encryption_format", "encryption_options", "created_at", "updated_at", "deleted_at",
         "deleted"});
    return t;
}

const detail::ObjectTable& Caches() {
    static const detail::ObjectTable t("instance_info_caches", *objects::InstanceInfoCache::descriptor(),
                                       {"instance_uuid", "network_info", "created_at", "updated_at",
                                        "deleted_at", "deleted"});
    return t;
}

}  // namespace

void BlockDeviceMappingStore::Create(objects::BlockDeviceMapping& bdm) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        bdm.set_id(Mappings().Insert(s, bdm, now, {{"deleted", std::int64_t{0}}}));
    });
    bdm.set_deleted(false);
    objects::ResetChanges(bdm);
}

objects::BlockDeviceMapping BlockDeviceMappingStore::GetById(std::int64_t id) {
    auto rows = pool_.Query(Mappings().Select("WHERE `id` = ? AND `deleted` = 0"), {id});
    if (rows.empty()) {
        throw NotFound::WithMessage("Block device mapping " + std::to_string(id) + " could not be found.");
    }
    return detail::LoadAll<objects::BlockDeviceMapping>(Mappings(), rows).front();
}

std::vector<objects::BlockDeviceMapping> BlockDeviceMappingStore::GetByInstanceUuid(
    const std::string& instance_uuid) {
    return detail::LoadAll<objects::BlockDeviceMapping>(
        Mappings(), pool_.Query(Mappings().Select("WHERE `instance_uuid` = ? AND `deleted` = 0 ORDER BY `id`"),
                                {instance_uuid}));
}

std::vector<objects::BlockDeviceMapping> BlockDeviceMappingStore::GetByVolume(const std::string& volume_id) {
    return detail::LoadAll<objects::BlockDeviceMapping>(
        Mappings(), pool_.Query(Mappings().Select("WHERE `volume_id` = ? AND `deleted` = 0 ORDER BY `id`"),
                                {volume_id}));
}

void BlockDeviceMappingStore::Save(objects::BlockDeviceMapping& bdm) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        if (Mappings().Update(s, bdm, objects::WhatChanged(bdm), now, "`id` = ? AND `deleted` = 0", {bdm.id()}) ==
            0) {
            throw NotFound::WithMessage("Block device mapping " + std::to_string(bdm.id()) +
                                        " could not be found.");
        }
    });
    objects::ResetChanges(bdm);
}

void BlockDeviceMappingStore::Destroy(objects::BlockDeviceMapping& bdm) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        s.Execute("UPDATE `block_device_mapping` SET `deleted` = `id`, `deleted_at` = ?"
                  " WHERE `id` = ? AND `deleted` = 0",
                  {now, bdm.id()});
    });
    bdm.set_deleted(true);
    objects::ResetChanges(bdm);
}

objects::InstanceInfoCache InstanceInfoCacheStore::GetByInstanceUuid(const std::string& instance_uuid) {
    auto rows = pool_.Query(Caches().Select("WHERE `instance_uuid` = ? AND `deleted` = 0"), {instance_uuid});
    if (rows.empty()) throw InstanceInfoCacheNotFound({{"instance_uuid", instance_uuid}});
    return detail::LoadAll<objects::InstanceInfoCache>(Caches(), rows).front();
}

void InstanceInfoCacheStore::Save(objects::InstanceInfoCache& cache) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        auto matched = Caches().Update(s, cache, {"network_info"}, now,
                                       "`instance_uuid` = ? AND `deleted` = 0", {cache.instance_uuid()});
        if (matched == 0) Caches().Insert(s, cache, now, {{"deleted", std::int64_t{0}}});
    });
    objects::ResetChanges(cache);
}

}  // namespace nova::db
