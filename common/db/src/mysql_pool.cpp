// The Pool on MySQL Connector/C++ 1.1 (the JDBC-style API), against MariaDB.
#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/metadata.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <mysql_driver.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "mysql_errors.hpp"
#include "nova/common/error.hpp"
#include "nova/common/log.hpp"
#include "nova/common/time.hpp"
#include "nova/db/pool.hpp"
#include "sql_literals.hpp"

namespace nova::db {

namespace {

using detail::ErrorKind;

constexpr int kConnectTimeoutSeconds = 10;
// A statement that takes longer than this is treated as a lost connection (it is, or the
// server is stuck): InnoDB's own lock wait timeout (50 s) fires well before.
constexpr int kReadWriteTimeoutSeconds = 120;
// The largest compound statement a one-trip transaction sends (RunAndCommit).
constexpr std::size_t kMaxCompoundBytes = 4 << 20;
// Prepared statements kept per connection.
constexpr std::size_t kMaxCachedStatements = 256;

spdlog::logger& Log() { return log::Get("nova.db"); }

sql::Driver& Driver() {
    // The first call initialises the client library; C++ makes it happen once.
    static sql::Driver* driver = sql::mysql::get_mysql_driver_instance();
    return *driver;
}

// A one-trip transaction's statements (Pool::TransactionInOneTrip), kept until its function
// returns. Nothing has run yet when the function asks, so there is nothing to answer.
class StatementsKept final : public Session {
public:
    struct Statement {
        std::string sql;
        Params params;
    };
    Rows Query(std::string_view, const Params&) override {
        throw std::logic_error("a one-trip transaction cannot query");
    }
    std::uint64_t Execute(std::string_view sql, const Params& params) override {
        statements_.push_back({std::string(sql), params});
        return 0;
    }
    std::int64_t LastInsertId() override { throw std::logic_error("a one-trip transaction has no insert id yet"); }
    std::int64_t InsertReturningId(std::string_view, const Params&) override { return LastInsertId(); }
    const std::vector<Statement>& statements() const { return statements_; }

private:
    std::vector<Statement> statements_;
};

class MysqlSession final : public Session {
public:
    MysqlSession(std::unique_ptr<sql::Connection> conn, bool autocommit, bool mariadb,
                 std::atomic<long long>& statements)
        : conn_(std::move(conn)), born_(MonoClock::now()), autocommit_(autocommit), mariadb_(mariadb),
          statements_run_(statements) {}

    Rows Query(std::string_view text, const Params& params) override {
        return Guarded("query", [&] {
            auto& cached = Prepare(text, params);
            statements_run_.fetch_add(1, std::memory_order_relaxed);
            std::unique_ptr<sql::ResultSet> rs(cached.statement->executeQuery());
            if (!cached.columns) {
                // A prepared statement's result columns do not change: read their labels once.
                auto* meta = rs->getMetaData();
                auto labels = std::make_shared<std::vector<std::string>>();
                for (unsigned i = 1, n = meta->getColumnCount(); i <= n; ++i) labels->push_back(meta->getColumnLabel(i));
                cached.columns = std::move(labels);
            }
            const auto& columns = cached.columns;
            const auto count = static_cast<unsigned>(columns->size());
            Rows out;
            out.rows.reserve(rs->rowsCount());
            while (rs->next()) {
                std::vector<std::optional<std::string>> values;
                values.reserve(count);
                for (unsigned i = 1; i <= count; ++i) {
                    std::string v = rs->getString(i);
                    if (rs->wasNull()) {
                        values.emplace_back(std::nullopt);
                    } else {
                        values.emplace_back(std::move(v));
                    }
                }
                out.rows.emplace_back(columns, std::move(values));
            }
            return out;
        });
    }

    std::uint64_t Execute(std::string_view text, const Params& params) override {
        return Guarded("statement", [&] {
            auto& stmt = *Prepare(text, params).statement;
            statements_run_.fetch_add(1, std::memory_order_relaxed);
            return static_cast<std::uint64_t>(stmt.executeUpdate());
        });
    }

    std::int64_t LastInsertId() override {
        return Query("SELECT LAST_INSERT_ID() AS id", {}).front().Int("id");
    }
    std::int64_t InsertReturningId(std::string_view insert, const Params& params) override {
        if (!mariadb_) return Session::InsertReturningId(insert, params);
        auto rows = Query(std::string(insert) + " RETURNING `id`", params);
        if (rows.size() != 1) throw DBError({{"reason", "an INSERT ... RETURNING returned no id"}});
        return rows.front().Int("id");
    }

    // COMMIT and ROLLBACK go as statements: Connector/C++ 1.1's commit() drops the client
    // library's error, so a COMMIT lost with the server would look like a success (the
    // restart test caught that).
    void Commit() { Execute("COMMIT", {}); }

    // Runs `kept` in a transaction and commits: in one round trip, on a connection of either
    // mode, when the server has compound statements (the block opens its own transaction);
    // else statement by statement, the connection switched to transactions.
    void RunAndCommit(const std::vector<StatementsKept::Statement>& kept) {
        if (kept.empty()) return;  // nothing written, nothing to commit
        std::string block;
        if (mariadb_) {
            block = "BEGIN NOT ATOMIC START TRANSACTION; ";
            for (const auto& st : kept) {
                block += detail::WithLiterals(st.sql, st.params);
                block += "; ";
                // Hex doubles the values: a create of hundreds of servers at once goes
                // statement by statement rather than near max_allowed_packet (16 MiB).
                if (block.size() > kMaxCompoundBytes) break;
            }
        }
        if (block.empty() || block.size() > kMaxCompoundBytes) {
            SetAutocommit(false);
            for (const auto& st : kept) Execute(st.sql, st.params);
            Commit();
            return;
        }
        block += "COMMIT; END";
        Guarded("statement", [&] {
            if (!text_statement_) text_statement_.reset(conn_->createStatement());
            statements_run_.fetch_add(1, std::memory_order_relaxed);
            text_statement_->execute(block);
        });
    }
    void Rollback(bool explicit_transaction = false) noexcept {
        // autocommit: nothing is left open, unless a START TRANSACTION opened it
        if (broken_ || (autocommit_ && !explicit_transaction)) return;
        try {
            Execute("ROLLBACK", {});
        } catch (const NovaError&) {
            broken_ = true;
        }
    }

    bool broken() const { return broken_; }
    bool autocommit() const { return autocommit_; }
    // Switches the connection between transactions (BEGIN implied by the first statement,
    // COMMIT sent) and autocommit (reads without a COMMIT round trip).
    void SetAutocommit(bool on) {
        if (on == autocommit_) return;
        statements_run_.fetch_add(1, std::memory_order_relaxed);
        Guarded("statement", [&] { conn_->setAutoCommit(on); });
        autocommit_ = on;
    }
    MonoClock::duration age() const { return MonoClock::now() - born_; }

private:
    template <class F>
    std::invoke_result_t<F&> Guarded(std::string_view what, F&& fn) {
        try {
            return fn();
        } catch (const sql::SQLException& e) {
            if (detail::Classify(e.getErrorCode(), e.what()) == ErrorKind::kConnection) {
                broken_ = true;
            }
            detail::Rethrow(e, what);
        }
    }

    // A prepared statement and, once it has run as a query, its result's column labels.
    struct Statement {
        std::unique_ptr<sql::PreparedStatement> statement;
        std::shared_ptr<const std::vector<std::string>> columns;
    };

    Statement& Prepare(std::string_view text, const Params& params) {
        auto it = statements_.find(text);
        if (it == statements_.end()) {
            // SQL texts come from the code (never from values), but UPDATEs name the changed
            // columns, so bound the cache anyway.
            if (statements_.size() >= kMaxCachedStatements) statements_.clear();
            auto key = std::string(text);
            Statement prepared{std::unique_ptr<sql::PreparedStatement>(conn_->prepareStatement(key)), nullptr};
            it = statements_.emplace(std::move(key), std::move(prepared)).first;
        }
        auto& stmt = *it->second.statement;
        stmt.clearParameters();
        for (std::size_t i = 0; i < params.size(); ++i) {
            const auto index = static_cast<unsigned>(i + 1);
            std::visit(
                [&](const auto& v) {
                    using T = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<T, std::nullptr_t>) {
                        stmt.setNull(index, sql::DataType::VARCHAR);
                    } else if constexpr (std::is_same_v<T, std::int64_t>) {
                        stmt.setInt64(index, v);
                    } else if constexpr (std::is_same_v<T, double>) {
                        stmt.setDouble(index, v);
                    } else if constexpr (std::is_same_v<T, bool>) {
                        stmt.setBoolean(index, v);
                    } else if constexpr (std::is_same_v<T, std::string>) {
                        stmt.setString(index, v);
                    } else {
                        stmt.setDateTime(index, timeutil::Sql(v));
                    }
                },
                params[i]);
        }
        return it->second;
    }

    std::unique_ptr<sql::Connection> conn_;
    std::map<std::string, Statement, std::less<>> statements_;
    std::unique_ptr<sql::Statement> text_statement_;  // for compound statements
    MonoTime born_;
    bool autocommit_ = false;
    // MariaDB (10.5 and later, every release still supported): compound statements (BEGIN NOT
    // ATOMIC ... END) and INSERT ... RETURNING, which MySQL has neither of.
    bool mariadb_ = false;
    bool broken_ = false;
    std::atomic<long long>& statements_run_;  // the pool's count
};

class MysqlPool final : public Pool {
public:
    MysqlPool(const conf::DatabaseOptions& options, DbUrl url)
        : options_(options), url_(std::move(url)) {}

    ~MysqlPool() override {
        std::lock_guard lock(mu_);
        idle_.clear();
        idle_autocommit_.clear();
    }

    PoolStats Stats() const override {
        std::lock_guard lock(mu_);
        PoolStats s = stats_;
        s.open = open_;
        s.idle = static_cast<int>(idle_.size() + idle_autocommit_.size());
        s.statements = statements_.load(std::memory_order_relaxed);
        return s;
    }
    const DbUrl& url() const override { return url_; }

protected:
    void RunTransaction(const std::function<void(Session&)>& fn, Deadline deadline) override {
        Run(fn, deadline, Mode::kTransaction);
    }
    void RunRead(const std::function<void(Session&)>& fn, Deadline deadline) override {
        Run(fn, deadline, Mode::kRead);
    }
    void RunInOneTrip(const std::function<void(Session&)>& fn, Deadline deadline) override {
        Run(fn, deadline, Mode::kOneTrip);
    }

private:
    enum class Mode { kRead, kTransaction, kOneTrip };

    void Run(const std::function<void(Session&)>& fn, Deadline deadline, Mode mode) {
        int attempt = 0;
        auto interval = std::chrono::duration<double>(options_.db_retry_interval);
        for (;;) {
            try {
                Attempt(fn, deadline, mode);
                return;
            } catch (const NovaError& e) {
                const bool retryable = e.IsA("DBDeadlock") || e.IsA("DBConnectionError");
                if (!retryable) throw;
                if (options_.db_max_retries >= 0 && attempt >= options_.db_max_retries) {
                    NOVA_LOG_ERROR(Log(), log::kNoContext,
                                   "DB exceeded retry limit ({} retries): {}", attempt, e.what());
                    throw;
                }
                auto wait = std::chrono::duration_cast<MonoClock::duration>(interval);
                if (!deadline.IsNever() && deadline.Remaining() <= wait) {
                    NOVA_LOG_ERROR(Log(), log::kNoContext,
                                   "DB error and no time left to retry: {}", e.what());
                    throw;
                }
                ++attempt;
                {
                    std::lock_guard lock(mu_);
                    ++stats_.retries;
                }
                NOVA_LOG_WARN(Log(), log::kNoContext,
                              "DB error, retrying transaction in {:.1f}s (attempt {}): {}",
                              interval.count(), attempt, e.what());
                std::this_thread::sleep_for(wait);
                if (options_.db_inc_retry_interval) {
                    interval = std::min(interval * 2, std::chrono::duration<double>(
                                                          options_.db_max_retry_interval));
                }
            }
        }
    }

    void Attempt(const std::function<void(Session&)>& fn, Deadline deadline, Mode mode) {
        const bool autocommit = mode == Mode::kRead;
        // A one-trip transaction takes an idle connection of either mode (reads' first).
        auto session = Checkout(deadline, autocommit || mode == Mode::kOneTrip);
        bool committed = false;
        try {
            if (mode == Mode::kOneTrip) {
                StatementsKept kept;
                fn(kept);
                session->RunAndCommit(kept.statements());
            } else {
                session->SetAutocommit(autocommit);
                fn(*session);
                if (!autocommit) session->Commit();
            }
            committed = true;
        } catch (...) {
            // A one-trip block that stopped part way left its START TRANSACTION open, even on
            // a connection in autocommit mode.
            if (!committed) session->Rollback(/*explicit_transaction=*/mode == Mode::kOneTrip);
            Checkin(std::move(session));
            throw;
        }
        Checkin(std::move(session));
    }

    // An idle connection of the asked mode if there is one, else an idle one of the other
    // mode (the caller switches it: one SET autocommit round trip), else a new one. A new one
    // costs a handshake, its session setup and every statement prepared again; and while
    // the idle ones fill the pool it is closed when returned, so preferring a new one made a
    // pool whose idle connections were all of the other mode open and close one per
    // checkout (2,290 connections in a boot storm after the conductor's pools were opened
    // in autocommit mode at its start).
    std::unique_ptr<MysqlSession> Checkout(Deadline deadline, bool autocommit) {
        std::unique_lock lock(mu_);
        const int limit = options_.max_pool_size + options_.max_overflow;
        auto give_up = MonoClock::now() + std::chrono::seconds(options_.pool_timeout);
        if (!deadline.IsNever()) give_up = std::min(give_up, deadline.time_point());
        bool waited = false;
        for (;;) {
            if (auto s = TakeIdle(autocommit)) return s;
            if (auto s = TakeIdle(!autocommit)) return s;
            if (open_ < limit) break;
            if (!waited) {
                ++stats_.waits;
                waited = true;
            }
            if (free_.wait_until(lock, give_up) == std::cv_status::timeout && idle_.empty() &&
                idle_autocommit_.empty() && open_ >= limit) {
                throw DBConnectionError(
                    {{"reason", "QueuePool limit of size " + std::to_string(options_.max_pool_size) +
                                    " overflow " + std::to_string(options_.max_overflow) +
                                    " reached, connection timed out, timeout " +
                                    std::to_string(options_.pool_timeout)}});
            }
        }
        ++open_;
        lock.unlock();
        try {
            return Connect(autocommit);
        } catch (...) {
            lock.lock();
            --open_;
            free_.notify_one();
            throw;
        }
    }

    void Checkin(std::unique_ptr<MysqlSession> session) {
        std::lock_guard lock(mu_);
        if (session->broken()) {
            // The server went away: every idle connection is as dead as this one (a restart
            // or failover), so drop them all rather than fail once per connection.
            ++stats_.reconnects;
            open_ -= 1 + static_cast<int>(idle_.size() + idle_autocommit_.size());
            idle_.clear();
            idle_autocommit_.clear();
        } else if (static_cast<int>(idle_.size() + idle_autocommit_.size()) < options_.max_pool_size) {
            (session->autocommit() ? idle_autocommit_ : idle_).push_back(std::move(session));
        } else {
            --open_;  // overflow connection: closed when returned
        }
        free_.notify_one();
    }

    // Under mu_. Recycles (closes) the idle connections older than connection_recycle_time.
    std::unique_ptr<MysqlSession> TakeIdle(bool autocommit) {
        auto& idle = autocommit ? idle_autocommit_ : idle_;
        while (!idle.empty()) {
            auto s = std::move(idle.back());
            idle.pop_back();
            if (s->age() < std::chrono::seconds(options_.connection_recycle_time)) return s;
            --open_;  // recycled: closed here
        }
        return nullptr;
    }

    std::unique_ptr<MysqlSession> Connect(bool autocommit) {
        sql::ConnectOptionsMap opts;
        if (!url_.unix_socket.empty()) {
            opts["hostName"] = sql::SQLString("unix://" + url_.unix_socket);
        } else {
            opts["hostName"] =
                sql::SQLString("tcp://" + url_.host + ":" + std::to_string(url_.port));
        }
        opts["userName"] = sql::SQLString(url_.user);
        opts["password"] = sql::SQLString(url_.password);
        opts["schema"] = sql::SQLString(url_.database);
        opts["OPT_CONNECT_TIMEOUT"] = kConnectTimeoutSeconds;
        opts["OPT_READ_TIMEOUT"] = kReadWriteTimeoutSeconds;
        opts["OPT_WRITE_TIMEOUT"] = kReadWriteTimeoutSeconds;
        opts["OPT_RECONNECT"] = false;  // a silent reconnect would lose the transaction
        // UPDATE reports rows matched, not rows changed: compare-and-set relies on it.
        opts["CLIENT_FOUND_ROWS"] = true;
        // Nova's URLs say charset=utf8 meaning Unicode; the tables are utf8mb4.
        std::string charset = "utf8mb4";
        if (auto it = url_.query.find("charset"); it != url_.query.end() && it->second != "utf8") {
            charset = it->second;
        }
        opts["OPT_CHARSET_NAME"] = sql::SQLString(charset);
        std::unique_ptr<sql::Connection> conn;
        bool mariadb = false;
        try {
            conn.reset(Driver().connect(opts));
            // From the handshake (no round trip): "10.11.6-MariaDB-0+deb12u1".
            mariadb = std::string(conn->getMetaData()->getDatabaseProductVersion()).find("MariaDB") !=
                                  std::string::npos;
            conn->setAutoCommit(autocommit);
            // oslo.db's default mysql_sql_mode: bad values are errors, never truncated.
            std::unique_ptr<sql::PreparedStatement> mode(
                conn->prepareStatement("SET SESSION sql_mode = 'TRADITIONAL'"));
            mode->execute();
        } catch (const sql::SQLException& e) {
            detail::Rethrow(e, "connect to " + url_.Redacted());
        }
        return std::make_unique<MysqlSession>(std::move(conn), autocommit, mariadb, statements_);
    }

    const conf::DatabaseOptions options_;
    const DbUrl url_;
    mutable std::mutex mu_;
    std::condition_variable free_;
    std::vector<std::unique_ptr<MysqlSession>> idle_;             // for transactions
    std::vector<std::unique_ptr<MysqlSession>> idle_autocommit_;  // for reads
    int open_ = 0;
    PoolStats stats_;
    std::atomic<long long> statements_{0};  // PoolStats::statements, counted by the sessions
};

}  // namespace

void KeepConnectionPerThread(conf::DatabaseOptions& options, int threads, const char* threads_option) {
    if (options.max_pool_size >= threads) return;
    NOVA_LOG_INFO(Log(), log::kNoContext, "database pool: max_pool_size {} raised to {} ({})",
                  options.max_pool_size, threads, threads_option);
    options.max_pool_size = threads;
}

std::unique_ptr<Pool> Pool::Create(const conf::DatabaseOptions& options,
                                   std::optional<std::string> url) {
    auto text = url ? url : options.connection;
    if (!text || text->empty()) {
        throw InvalidInput({{"reason", "no database connection URL is configured"}});
    }
    return std::make_unique<MysqlPool>(options, DbUrl::Parse(*text));
}

Rows Pool::Query(std::string_view sql, const Params& params, Deadline deadline) {
    return Read([&](Session& s) { return s.Query(sql, params); }, deadline);
}

std::uint64_t Pool::Execute(std::string_view sql, const Params& params, Deadline deadline) {
    return AutoCommit([&](Session& s) { return s.Execute(sql, params); }, deadline);
}

}  // namespace nova::db
