#include "nova/conf/schema.hpp"

#include <doctest/doctest.h>

#include "nova/conf/database.hpp"
#include "nova/conf/default.hpp"
#include "nova/conf/logging.hpp"
#include "nova/conf/messaging.hpp"

namespace nova::conf {
namespace {

struct TestOptions {
    static constexpr std::string_view kGroup = "test";
    static constexpr std::string_view kHelp = "Test group.";
    bool flag;
    int count;
    double ratio;
    std::string mode;
    std::vector<std::string> filters;
    std::vector<std::string> multi;
    std::map<std::string, std::string> mapping;
    std::optional<std::string> maybe;
    std::optional<int> maybe_int;
    std::string computed;
    static void Declare(Schema<TestOptions>& s) {
        s.Opt("flag", &TestOptions::flag, false, "A flag.");
        s.Opt("count", &TestOptions::count, 3, "A count.").Min(1).Max(10).DeprecatedName("old_count");
        s.Opt("ratio", &TestOptions::ratio, 16.0, "A ratio.").Min(0.0);
        s.Opt("mode", &TestOptions::mode, std::string("fast"), "A mode.").Choices({"fast", "slow"});
        s.Opt("filters", &TestOptions::filters, std::vector<std::string>{"A", "B"}, "Filters.");
        s.Opt("multi", &TestOptions::multi, std::vector<std::string>{}, "Multi.").Multi();
        s.Opt("mapping", &TestOptions::mapping, std::map<std::string, std::string>{}, "Dict.");
        s.Opt("maybe", &TestOptions::maybe, "Optional.");
        s.Opt("maybe_int", &TestOptions::maybe_int, "Optional int.");
        s.Opt("computed", &TestOptions::computed, std::string(), "Computed.")
            .DefaultFrom([] { return std::string("from-fn"); }, "<computed>");
    }
};

std::string ErrorOf(const char* ini) {
    try {
        Load<TestOptions>(ConfigSource::FromString(ini, "t.conf"));
    } catch (const ConfigFileValueError& e) {
        return e.what();
    }
    return "";
}

struct SecretOptions {
    static constexpr std::string_view kGroup = "s";
    static constexpr std::string_view kHelp = "";
    int pin;
    static void Declare(Schema<SecretOptions>& s) { s.Opt("pin", &SecretOptions::pin, 0, "").Secret(); }
};

}  // namespace

TEST_CASE("defaults apply when the files say nothing") {
    auto o = Load<TestOptions>(ConfigSource::FromString(""));
    CHECK_FALSE(o.flag);
    CHECK(o.count == 3);
    CHECK(o.ratio == 16.0);
    CHECK(o.mode == "fast");
    CHECK(o.filters == std::vector<std::string>{"A", "B"});
    CHECK(o.multi.empty());
    CHECK_FALSE(o.maybe);
    CHECK_FALSE(o.maybe_int);
    CHECK(o.computed == "from-fn");
}

TEST_CASE("values of every type are parsed") {
    auto o = Load<TestOptions>(ConfigSource::FromString(
        "[test]\nflag = Yes\ncount = 7\nratio = 1.5\nmode = slow\nfilters = X, Y ,Z\n"
        "multi = one\nmulti = two\nmapping = a:1, b : 2\nmaybe = here\nmaybe_int = -4\n"
        "computed = given\n"));
    CHECK(o.flag);
    CHECK(o.count == 7);
    CHECK(o.ratio == 1.5);
    CHECK(o.mode == "slow");
    CHECK(o.filters == std::vector<std::string>{"X", "Y", "Z"});
    CHECK(o.multi == std::vector<std::string>{"one", "two"});
    CHECK(o.mapping == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
    CHECK(o.maybe == "here");
    CHECK(o.maybe_int == -4);
    CHECK(o.computed == "given");
}

TEST_CASE("an empty list value is an empty list, a deprecated name still works") {
    auto o = Load<TestOptions>(ConfigSource::FromString("[test]\nfilters =\nold_count = 9\n"));
    CHECK(o.filters.empty());
    CHECK(o.count == 9);
}

TEST_CASE("bad values name file, line, group, option and reason") {
    CHECK(ErrorOf("[test]\ncount = many\n") ==
          "t.conf:2: [test] count = 'many': not an integer (integer value)");
    CHECK(ErrorOf("[test]\n\ncount = 11\n") ==
          "t.conf:3: [test] count = '11': should be less than or equal to 10 (integer value)");
    CHECK(ErrorOf("[test]\ncount = 0\n") ==
          "t.conf:2: [test] count = '0': should be greater than or equal to 1 (integer value)");
    CHECK(ErrorOf("[test]\nflag = maybe\n").find("t.conf:2: [test] flag = 'maybe': not a boolean") == 0);
    CHECK(ErrorOf("[test]\nratio = -1\n").find("should be greater than or equal to 0") != std::string::npos);
    CHECK(ErrorOf("[test]\nratio = fast\n").find("not a number (floating point value)") != std::string::npos);
    CHECK(ErrorOf("[test]\nmode = medium\n") ==
          "t.conf:2: [test] mode = 'medium': valid values are [fast, slow] (string value)");
    CHECK(ErrorOf("[test]\nmapping = nocolon\n").find("is not key:value") != std::string::npos);
    CHECK(ErrorOf("[test]\nmaybe_int = 99999999999\n").find("out of range") != std::string::npos);
}

TEST_CASE("secret values are not echoed in errors") {
    auto src = ConfigSource::FromString("[database]\nmax_pool_size = x\n");
    CHECK_THROWS_AS(Load<DatabaseOptions>(src), ConfigFileValueError);
    try {
        Load<SecretOptions>(ConfigSource::FromString("[s]\npin = hunter2\n"));
        FAIL("expected an error");
    } catch (const ConfigFileValueError& e) {
        CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
}

TEST_CASE("one struct serves two groups of the same shape") {
    auto src = ConfigSource::FromString(
        "[database]\nconnection = mysql+pymysql://a\n[api_database]\nconnection = mysql+pymysql://b\n"
        "max_pool_size = 9\n");
    auto cell = Load<DatabaseOptions>(src);
    auto api = Load<DatabaseOptions>(src, "api_database");
    CHECK(cell.connection == "mysql+pymysql://a");
    CHECK(cell.max_pool_size == 5);
    CHECK(api.connection == "mysql+pymysql://b");
    CHECK(api.max_pool_size == 9);
}

TEST_CASE("the shared groups load with Nova's defaults") {
    auto src = ConfigSource::FromString("");
    auto rabbit = Load<RabbitOptions>(src);
    CHECK(rabbit.heartbeat_timeout_threshold == 60);
    CHECK(rabbit.rabbit_transient_queues_ttl == 1800);
    CHECK(rabbit.kombu_failover_strategy == "round-robin");
    auto messaging = Load<MessagingOptions>(src);
    CHECK(messaging.control_exchange == "nova");
    CHECK(messaging.rpc_response_timeout == 60);
    CHECK_FALSE(messaging.transport_url);
    auto def = Load<DefaultOptions>(src);
    CHECK_FALSE(def.host.empty());
    CHECK(def.report_interval == 10);
    CHECK(def.service_down_time == 60);
    auto logging = Load<LoggingOptions>(ConfigSource::FromString("[DEFAULT]\ndebug = true\n"));
    CHECK(logging.debug);
}

}  // namespace nova::conf
