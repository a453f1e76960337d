// The database restarts in the middle of a loop of writes: the pool recovers without a
// process restart, and no write reported done is missing afterwards. The test runs its own
// MariaDB (a private data directory and socket) so it can kill and restart it.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "scratch_database.hpp"

extern char** environ;

using namespace nova;
using namespace nova::db;

namespace {

namespace fs = std::filesystem;

// Debian puts mariadbd in /usr/sbin, which a non-login PATH may lack.
std::string Program(const std::string& name) {
    for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/usr/local/bin/"}) {
        if (fs::exists(std::string(dir) + name)) return std::string(dir) + name;
    }
    return name;
}

// Starts a program with its output going to `log`.
pid_t Spawn(std::vector<std::string> argv, const fs::path& log) {
    argv[0] = Program(argv[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    return pid;
}

class PrivateMariaDb {
public:
    PrivateMariaDb() : dir_(fs::temp_directory_path() / ("nova-db-restart-" + GenerateUuidHex().substr(0, 8))) {
        fs::create_directories(dir_);
        auto install = Spawn({"mariadb-install-db", "--no-defaults", "--user=root",
                              "--datadir=" + (dir_ / "data").string(),
                              "--auth-root-authentication-method=normal", "--skip-test-db"},
                             dir_ / "install.log");
        int status = 0;
        waitpid(install, &status, 0);
        const bool installed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        REQUIRE_MESSAGE(installed, "mariadb-install-db failed");
        Start();
    }
    ~PrivateMariaDb() {
        Kill();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    std::string Url(const std::string& db) const {
        return "mysql+pymysql://root@/" + db + "?unix_socket=" + (dir_ / "mysqld.sock").string();
    }
    void Start() {
        pid_ = Spawn({"mariadbd", "--no-defaults", "--user=root", "--datadir=" + (dir_ / "data").string(),
                      "--socket=" + (dir_ / "mysqld.sock").string(), "--skip-networking",
                      "--pid-file=" + (dir_ / "mariadb.pid").string(),
                      "--log-error=" + (dir_ / "error.log").string(), "--innodb-buffer-pool-size=32M",
                      "--innodb-flush-log-at-trx-commit=1", "--innodb-log-file-size=16M"},
                     dir_ / "stdout.log");
    }
    // SIGKILL: the harshest restart (committed transactions survive, the rest is lost).
    void Kill() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    fs::path dir_;
    pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("a MariaDB restart in the middle of writes: the pool recovers, nothing is lost") {
    PrivateMariaDb server;
    auto options = testing::ScratchDatabase::Options();
    options.db_max_retries = 60;
    options.db_retry_interval = 1;
    options.db_inc_retry_interval = false;
    options.max_pool_size = 3;
    {
        auto bootstrap = Pool::Create(options, server.Url("mysql"));
        bootstrap->Execute("CREATE DATABASE restart_test");  // retried until the server is up
    }
    auto pool = Pool::Create(options, server.Url("restart_test"));
    pool->Execute("CREATE TABLE writes (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB");

    constexpr int kWrites = 300;
    constexpr int kKillAt = 100;
    std::set<int> done;
    std::set<int> failed;
    std::atomic<int> progress{0};
    std::thread writer([&] {
        for (int i = 0; i < kWrites; ++i) {
            try {
                pool->Transaction([&](Session& s) {
                    s.Execute("INSERT INTO writes (id, v) VALUES (?, ?)",
                              {std::int64_t{i}, std::string("value-") + std::to_string(i)});
                });
                done.insert(i);
            } catch (const DBError&) {
                // A retry after an ambiguous commit may meet its own first attempt
                // (DBDuplicateEntry): reported as failed, which is allowed; reported done
                // without being there is not.
                failed.insert(i);
            }
            progress = i + 1;
        }
    });
    while (progress < kKillAt) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server.Kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    server.Start();
    writer.join();

    std::set<int> stored;
    for (const auto& row : pool->Query("SELECT id FROM writes")) stored.insert(static_cast<int>(row.Int("id")));
    for (int id : done) CHECK_MESSAGE(stored.contains(id), "write " << id << " was reported done but is lost");
    MESSAGE("writes done: " << done.size() << ", failed: " << failed.size()
                            << ", retries: " << pool->Stats().retries
                            << ", reconnects: " << pool->Stats().reconnects);
    CHECK(failed.size() <= 1);
    CHECK(done.size() >= kWrites - 1);
    CHECK(pool->Stats().retries >= 1);
    // And the pool is healthy afterwards without any help.
    CHECK(pool->Query("SELECT COUNT(*) AS n FROM writes").front().Int("n") == static_cast<std::int64_t>(stored.size()));
}
