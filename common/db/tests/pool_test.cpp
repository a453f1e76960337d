#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <stdexcept>
#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

#include "nova/common/error.hpp"
#include "nova/db/blocking.hpp"
#include "scratch_database.hpp"

using namespace nova;
using namespace nova::db;
using testing::ScratchDatabase;

TEST_CASE("statements with bound parameters, and typed errors") {
    ScratchDatabase db;
    auto& pool = db.pool();
    pool.Execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(64) UNIQUE, at DATETIME NULL, f DOUBLE)");
    auto when = WallTime(std::chrono::seconds(1764060792));
    CHECK(pool.Execute("INSERT INTO t VALUES (?, ?, ?, ?)", {std::int64_t{1}, std::string("a"), when, 2.5}) == 1);
    auto rows = pool.Query("SELECT id, name, at, f FROM t WHERE name = ?", {std::string("a")});
    REQUIRE(rows.size() == 1);
    CHECK(rows.front().Int("id") == 1);
    CHECK(rows.front().Time("at") == when);
    CHECK(rows.front().Double("f") == 2.5);
    CHECK_THROWS_AS(pool.Execute("INSERT INTO t VALUES (?, ?, NULL, 0)", {std::int64_t{2}, std::string("a")}),
                    DBDuplicateEntry);
    CHECK_THROWS_AS(pool.Query("SELEC nonsense"), DBError);
    // A failed transaction leaves nothing behind.
    CHECK_THROWS_AS(pool.Transaction([](Session& s) {
        s.Execute("INSERT INTO t VALUES (3, 'c', NULL, 0)");
        throw InvalidInput({{"reason", "changed my mind"}});
    }),
                    InvalidInput);
    CHECK(pool.Query("SELECT COUNT(*) AS n FROM t").front().Int("n") == 1);
    CHECK(pool.Stats().retries == 0);
}

TEST_CASE("a deadlock is retried and both transactions complete") {
    ScratchDatabase db;
    auto& pool = db.pool();
    pool.Execute("CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
    pool.Execute("INSERT INTO t VALUES (1, 0), (2, 0)");
    std::barrier both_hold_one(2);
    std::atomic<int> attempts{0};
    auto worker = [&](std::int64_t first, std::int64_t second) {
        pool.Transaction([&](Session& s) {
            const bool first_try = attempts.fetch_add(1) < 2;
            s.Execute("UPDATE t SET v = v + 1 WHERE id = ?", {first});
            if (first_try) both_hold_one.arrive_and_wait();  // each holds one row lock
            s.Execute("UPDATE t SET v = v + 1 WHERE id = ?", {second});
        });
    };
    std::thread a(worker, 1, 2);
    std::thread b(worker, 2, 1);
    a.join();
    b.join();
    CHECK(attempts.load() == 3);  // one of the two ran twice
    CHECK(pool.Stats().retries == 1);
    auto rows = pool.Query("SELECT SUM(v) AS s FROM t");
    CHECK(rows.front().Int("s") == 4);
}

TEST_CASE("the pool waits for a free connection, then gives up at pool_timeout") {
    auto options = ScratchDatabase::Options();
    options.max_pool_size = 1;
    options.max_overflow = 0;
    options.pool_timeout = 1;
    options.db_max_retries = 0;
    ScratchDatabase db;
    auto pool = Pool::Create(options, db.url());
    std::barrier held(2);
    std::barrier release(2);
    std::thread holder([&] {
        pool->Transaction([&](Session& s) {
            s.Query("SELECT 1 AS x");
            held.arrive_and_wait();
            release.arrive_and_wait();
        });
    });
    held.arrive_and_wait();
    auto start = MonoClock::now();
    CHECK_THROWS_AS(pool->Query("SELECT 1 AS x"), DBConnectionError);
    CHECK(MonoClock::now() - start >= std::chrono::milliseconds(900));
    release.arrive_and_wait();
    holder.join();
    CHECK(pool->Query("SELECT 1 AS x").front().Int("x") == 1);
    CHECK(pool->Stats().open == 1);
}

TEST_CASE("a one-trip transaction writes its statements at once, values verbatim, or nothing") {
    // One connection, so that its own statement counter tells how the statements went.
    auto options = ScratchDatabase::Options();
    options.max_pool_size = 1;
    options.max_overflow = 0;
    ScratchDatabase db;
    auto pool = Pool::Create(options, db.url());
    pool->Execute("CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, v MEDIUMTEXT, n BIGINT, f DOUBLE, "
                  "b BOOLEAN, at DATETIME, z TEXT NULL) ENGINE=InnoDB");
    pool->Execute("CREATE TABLE u (name VARCHAR(64) PRIMARY KEY) ENGINE=InnoDB");
    auto prepared_runs = [&] {
        return std::stoll(pool->Query("SHOW SESSION STATUS LIKE 'Com_stmt_execute'").front().String("Value"));
    };
    const std::vector<std::string> values = {
        "'; DROP TABLE a; --", "back\\slash \\' \" ` ?", "\xF0\x9F\x98\x80 名前", std::string("nul\0byte", 8), "",
        std::string(100000, 'x'),
    };
    const auto when = WallTime(std::chrono::seconds(1764510307));
    const auto before = prepared_runs();
    pool->TransactionInOneTrip([&](Session& s) {
        for (const auto& v : values) {
            s.Execute("INSERT INTO a (v, n, f, b, at, z) VALUES (?, ?, ?, ?, ?, ?)",
                      {v, std::int64_t{-9007199254740993}, 0.1, true, when, nullptr});
        }
        s.Execute("INSERT INTO u (name) VALUES (?)", {std::string("first")});
        CHECK_THROWS_AS(s.Query("SELECT 1 AS x"), std::logic_error);
        // Nor has it an id to answer with, and the INSERT is not kept (u has 2 rows below).
        CHECK_THROWS_AS(s.InsertReturningId("INSERT INTO u (name) VALUES (?)", {std::string("never")}),
                        std::logic_error);
    });
    // The SHOW itself is the only prepared statement run in between: the INSERTs and the
    // COMMIT went as one compound statement.
    CHECK(prepared_runs() - before == 1);
    auto rows = pool->Query("SELECT v, n, f, b, at, z FROM a ORDER BY id");
    REQUIRE(rows.size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        CHECK(rows.rows[i].String("v") == values[i]);
        CHECK(rows.rows[i].Int("n") == -9007199254740993);
        CHECK(rows.rows[i].Double("f") == 0.1);
        CHECK(rows.rows[i].Bool("b"));
        CHECK(rows.rows[i].Time("at") == when);
        CHECK(rows.rows[i].IsNull("z"));
    }
    // A statement that fails (here the last, a duplicate key) takes the others with it, with
    // the error Transaction would raise.
    CHECK_THROWS_AS(pool->TransactionInOneTrip([&](Session& s) {
        s.Execute("INSERT INTO a (v) VALUES (?)", {std::string("not kept")});
        s.Execute("INSERT INTO u (name) VALUES (?)", {std::string("first")});
    }),
                    DBDuplicateEntry);
    CHECK(pool->Query("SELECT COUNT(*) AS n FROM a").front().Int("n") == static_cast<std::int64_t>(values.size()));
    // The connection is fine afterwards, for both kinds of transaction.
    pool->TransactionInOneTrip([&](Session& s) { s.Execute("INSERT INTO u (name) VALUES (?)", {std::string("second")}); });
    CHECK(pool->Query("SELECT COUNT(*) AS n FROM u").front().Int("n") == 2);
    // Values too large for one compound statement go statement by statement, still atomic.
    const auto before_large = prepared_runs();
    const std::string large(5 << 20, 'y');
    pool->TransactionInOneTrip([&](Session& s) {
        s.Execute("INSERT INTO a (v) VALUES (?)", {large});
        s.Execute("INSERT INTO u (name) VALUES (?)", {std::string("third")});
    });
    CHECK(prepared_runs() - before_large == 4);  // the two INSERTs, the COMMIT, the SHOW
    CHECK(pool->Query("SELECT v FROM a ORDER BY id DESC LIMIT 1").front().String("v") == large);
    CHECK(pool->Stats().open == 1);
}

TEST_CASE("RunBlocking runs the call on the blocking pool and resumes the coroutine") {
    ScratchDatabase db;
    boost::asio::io_context io;
    boost::asio::thread_pool blocking(2);
    const auto io_thread = std::this_thread::get_id();
    std::thread::id ran_on;
    auto result = boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<std::int64_t> {
            auto n = co_await RunBlocking(blocking, [&] {
                ran_on = std::this_thread::get_id();
                return db.pool().Query("SELECT 41 + 1 AS n").front().Int("n");
            });
            CHECK(std::this_thread::get_id() == io_thread);
            co_return n;
        },
        boost::asio::use_future);
    io.run();
    CHECK(result.get() == 42);
    CHECK(ran_on != io_thread);
    blocking.join();
}
