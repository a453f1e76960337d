#pragma once
// Key pairs (API database), per user.
#include <string>
#include <vector>

#include "nova/common/clock.hpp"
#include "nova/db/pool.hpp"
#include "nova/objects/keypair.pb.h"

namespace nova::db {

class KeyPairStore {
public:
    KeyPairStore(Pool& api, const Clock& clock) : pool_(api), clock_(clock) {}
    void Create(objects::KeyPair& keypair);  // KeyPairExists
    objects::KeyPair GetByName(const std::string& user_id, const std::string& name);  // KeypairNotFound
    std::vector<objects::KeyPair> GetByUser(const std::string& user_id);
    std::int64_t CountByUser(const std::string& user_id);
    void Destroy(const std::string& user_id, const std::string& name);  // KeypairNotFound

private:
    Pool& pool_;
    const Clock& clock_;
};

}  // namespace nova::db
