#include "scratch_database.hpp"

#include "nova/common/uuid.hpp"
#include "nova/conf/schema.hpp"
#include "nova/db/migrations.hpp"
#include "nova/test/services.hpp"

namespace nova::db::testing {

namespace {
// Admin work (CREATE/DROP DATABASE) goes through the always-present nova_api database.
Pool& Admin() {
    static auto pool = Pool::Create(ScratchDatabase::Options(), ScratchDatabase::ServerUrl("nova_api"));
    return *pool;
}
}  // namespace

conf::DatabaseOptions ScratchDatabase::Options() {
    auto options = conf::Load<conf::DatabaseOptions>(conf::ConfigSource::FromString(""));
    options.db_retry_interval = 0;
    options.db_max_retries = 5;
    return options;
}

std::string ScratchDatabase::ServerUrl(const std::string& database) {
    return test::Services::Get().DatabaseUrl(database);
}

ScratchDatabase::ScratchDatabase(Schema schema)
    : name_("t_" + GenerateUuidHex().substr(0, 16)), url_(ServerUrl(name_)) {
    Admin().Execute("CREATE DATABASE `" + name_ + "` CHARACTER SET utf8mb4");
    pool_ = Pool::Create(Options(), url_);
    if (schema == Schema::kApi) Sync(*pool_, Database::kApi);
    if (schema == Schema::kMain) Sync(*pool_, Database::kMain);
}

ScratchDatabase::~ScratchDatabase() {
    pool_.reset();
    try {
        Admin().Execute("DROP DATABASE IF EXISTS `" + name_ + "`");
    } catch (const std::exception&) {
        // Left behind for a human to look at; the name says it is a test's.
    }
}

}  // namespace nova::db::testing
