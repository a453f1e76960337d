#pragma once
// A pool of MySQL/MariaDB connections, sized from [database] / [api_database] (oslo.db's
// options), with transactions that are retried on deadlocks and lost connections.
//
// Blocking by design: services call it from their worker threads. Coroutines go through
// RunBlocking (blocking.hpp) so that no I/O thread ever waits on the database.
//
// Errors are Nova's (oslo.db's names): DBDuplicateEntry, DBDeadlock, DBConnectionError,
// DBError. A transaction that fails with DBDeadlock or DBConnectionError is rolled back and
// run again from the start, up to db_max_retries times, waiting db_retry_interval (doubled
// each time when db_inc_retry_interval, at most db_max_retry_interval), and never past the
// caller's deadline; each retry is logged. So a transaction function must only touch the
// database (and its own locals): it may run more than once.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "nova/common/clock.hpp"
#include "nova/conf/database.hpp"
#include "nova/db/session.hpp"
#include "nova/db/url.hpp"

namespace nova::db {

// Raises `options.max_pool_size` to `threads` when it is lower (and logs it, naming `threads_option`,
// the option the thread count comes from). A service whose `threads` threads may each hold a
// connection at once keeps that many open: below that, every checkout past max_pool_size opens
// and closes a connection (a handshake and its statements prepared again, in the service and in
// MariaDB), which was 7 % of the conductor's CPU in a boot storm besides MariaDB's share.
void KeepConnectionPerThread(conf::DatabaseOptions& options, int threads, const char* threads_option);

struct PoolStats {
    int open = 0;         // connections open now
    int idle = 0;         // of which idle in the pool
    long long waits = 0;  // checkouts that had to wait for a free connection
    long long retries = 0;  // transaction attempts repeated after a deadlock or lost connection
    long long reconnects = 0;  // connections dropped after a connection error
    // Round trips to the server on the pool's connections since it was created: statements
    // run (queries, writes, COMMIT and ROLLBACK) and autocommit switches; not the handshake
    // and statement preparation of a new connection.
    long long statements = 0;
};

class Pool {
public:
    // `options` is the [database] or [api_database] group; `url` overrides its connection
    // (cell databases come from cell_mappings). Connects lazily: creating a pool never blocks.
    // Throws InvalidInput for a bad URL or when there is no URL at all.
    static std::unique_ptr<Pool> Create(const conf::DatabaseOptions& options,
                                        std::optional<std::string> url = std::nullopt);
    virtual ~Pool() = default;
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // Runs fn(Session&) in one transaction (REPEATABLE READ, as InnoDB's default) and
    // commits; rolls back if fn throws. Retried as described above.
    template <class F>
    auto Transaction(F&& fn, Deadline deadline = Deadline::Never())
        -> std::invoke_result_t<F&, Session&> {
        using R = std::invoke_result_t<F&, Session&>;
        if constexpr (std::is_void_v<R>) {
            RunTransaction([&fn](Session& s) { fn(s); }, deadline);
        } else {
            std::optional<R> result;
            RunTransaction([&fn, &result](Session& s) { result.emplace(fn(s)); }, deadline);
            return std::move(*result);
        }
    }

    // Runs fn(Session&) on a connection in autocommit mode: each statement is its own
    // transaction and no COMMIT round trip follows. For reads whose statements need not see
    // one snapshot (one statement, or statements that are each consistent on their own).
    // Retried as Transaction is; fn must not write (AutoCommit below is for writes).
    template <class F>
    auto Read(F&& fn, Deadline deadline = Deadline::Never()) -> std::invoke_result_t<F&, Session&> {
        using R = std::invoke_result_t<F&, Session&>;
        if constexpr (std::is_void_v<R>) {
            RunRead([&fn](Session& s) { fn(s); }, deadline);
        } else {
            std::optional<R> result;
            RunRead([&fn, &result](Session& s) { result.emplace(fn(s)); }, deadline);
            return std::move(*result);
        }
    }

    // Runs fn(Session&) on a connection in autocommit mode for writes that are one statement
    // (or statements each complete on its own): each statement commits by itself, atomic as
    // a transaction of one statement is, and no COMMIT round trip follows (two round trips
    // for a one-statement transaction become one). Retried as Transaction is; as there, a
    // lost connection may have applied the statement before the retry runs it again.
    template <class F>
    auto AutoCommit(F&& fn, Deadline deadline = Deadline::Never()) -> std::invoke_result_t<F&, Session&> {
        return Read(std::forward<F>(fn), deadline);
    }

    // Runs fn(Session&) as one transaction sent to the server in one round trip, COMMIT
    // included: the statements fn executes are kept and run when fn returns, inside one
    // MariaDB compound statement (BEGIN NOT ATOMIC ... COMMIT; END), values as literals
    // (sql_literals.hpp). So fn may only Execute, and learns nothing from it (Execute returns
    // 0; Query and LastInsertId throw std::logic_error): for writes whose statements do not
    // depend on each other, on a path where every round trip waits for a busy server (the
    // API's create: three INSERTs and a COMMIT were four). On a server without compound
    // statements (MySQL) the statements run one by one. Errors and retries as Transaction.
    void TransactionInOneTrip(const std::function<void(Session&)>& fn, Deadline deadline = Deadline::Never()) {
        RunInOneTrip(fn, deadline);
    }

    // A single SELECT, on its own (Read: autocommit, no COMMIT round trip; retried).
    Rows Query(std::string_view sql, const Params& params = {},
               Deadline deadline = Deadline::Never());
    // A single statement that writes, on its own (AutoCommit: one round trip; retried).
    std::uint64_t Execute(std::string_view sql, const Params& params = {},
                          Deadline deadline = Deadline::Never());

    virtual PoolStats Stats() const = 0;
    virtual const DbUrl& url() const = 0;

protected:
    Pool() = default;
    virtual void RunTransaction(const std::function<void(Session&)>& fn, Deadline deadline) = 0;
    virtual void RunRead(const std::function<void(Session&)>& fn, Deadline deadline) = 0;
    virtual void RunInOneTrip(const std::function<void(Session&)>& fn, Deadline deadline) = 0;
};

}  // namespace nova::db
