#include "nova/db/keypair_store.hpp"

#include "nova/common/error.hpp"
#include "object_table.hpp"

namespace nova::db {

namespace {
const detail::ObjectTable& KeyPairs() {
    static const detail::ObjectTable t("key_pairs", *objects::KeyPair::descriptor(),
                                       {"id", "name", "user_id", "fingerprint", "public_key",
                                        "type", "created_at", "updated_at"});
    return t;
}
}  // namespace

void KeyPairStore::Create(objects::KeyPair& keypair) {
    auto now = detail::FloorNow(clock_);
    pool_.Transaction([&](Session& s) {
        try {
            keypair.set_id(KeyPairs().Insert(s, keypair, now));
        } catch (const DBDuplicateEntry&) {
            throw KeyPairExists({{"key_name", keypair.name()}});
        }
    });
    objects::ResetChanges(keypair);
}

objects::KeyPair KeyPairStore::GetByName(const std::string& user_id, const std::string& name) {
    auto rows = pool_.Query(KeyPairs().Select("WHERE `user_id` = ? AND `name` = ?"), {user_id, name});
    if (rows.empty()) throw KeypairNotFound({{"name", name}, {"user_id", user_id}});
    return detail::LoadAll<objects::KeyPair>(KeyPairs(), rows).front();
}

std::vector<objects::KeyPair> KeyPairStore::GetByUser(const std::string& user_id) {
    return detail::LoadAll<objects::KeyPair>(
        KeyPairs(), pool_.Query(KeyPairs().Select("WHERE `user_id` = ? ORDER BY `name`"), {user_id}));
}

std::int64_t KeyPairStore::CountByUser(const std::string& user_id) {
    return pool_.Query("SELECT COUNT(*) AS n FROM `key_pairs` WHERE `user_id` = ?", {user_id}).front().Int("n");
}

void KeyPairStore::Destroy(const std::string& user_id, const std::string& name) {
    pool_.Transaction([&](Session& s) {
        if (s.Execute("DELETE FROM `key_pairs` WHERE `user_id` = ? AND `name` = ?", {user_id, name}) == 0) {
            throw KeypairNotFound({{"name", name}, {"user_id", user_id}});
        }
    });
}

}  // namespace nova::db
