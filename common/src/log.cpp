#include "nova/common/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "nova/common/assert.hpp"

namespace nova::log {
namespace {

// oslo.log's level names.
class OsloLevelFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        std::string_view name;
        switch (msg.level) {
            case spdlog::level::trace:
            case spdlog::level::debug: name = "DEBUG"; break;
            case spdlog::level::info: name = "INFO"; break;
            case spdlog::level::warn: name = "WARNING"; break;
            case spdlog::level::err: name = "ERROR"; break;
            case spdlog::level::critical: name = "CRITICAL"; break;
            default: name = "NOTSET"; break;
        }
        dest.append(name.data(), name.data() + name.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<OsloLevelFlag>();
    }
};

// A file sink that can reopen its path, so that logrotate + SIGHUP works.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit ReopenableFileSink(std::string path) : path_(std::move(path)) { Open(); }
    ~ReopenableFileSink() override {
        if (file_) std::fclose(file_);
    }
    void Reopen() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (file_) std::fclose(file_);
        file_ = nullptr;
        Open();
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        std::fwrite(formatted.data(), 1, formatted.size(), file_);
    }
    void flush_() override { std::fflush(file_); }

private:
    void Open() {
        auto parent = std::filesystem::path(path_).parent_path();
        if (!parent.empty()) std::filesystem::create_directories(parent);
        file_ = std::fopen(path_.c_str(), "a");
        if (!file_) throw std::runtime_error("cannot open log file " + path_);
    }
    std::string path_;
    std::FILE* file_ = nullptr;
};

struct State {
    std::mutex mutex;
    std::shared_ptr<spdlog::sinks::dist_sink_mt> sink = [] {
        auto dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
        dist->add_sink(std::make_shared<spdlog::sinks::stderr_sink_mt>());
        return dist;
    }();
    std::shared_ptr<ReopenableFileSink> file_sink;
    std::string file_path;
    spdlog::level::level_enum base_level = spdlog::level::info;
    std::map<std::string, spdlog::level::level_enum, std::less<>> overrides;
    std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

State& GetState() {
    static State* state = new State();  // never destroyed: loggers outlive static teardown
    return *state;
}

std::unique_ptr<spdlog::formatter> MakeFormatter() {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<OsloLevelFlag>('*');
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %P %* %n %v");
    return formatter;
}

spdlog::level::level_enum ParseLevel(std::string_view name) {
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "DEBUG" || upper == "TRACE") return spdlog::level::debug;
    if (upper == "INFO") return spdlog::level::info;
    if (upper == "WARN" || upper == "WARNING") return spdlog::level::warn;
    if (upper == "ERROR") return spdlog::level::err;
    if (upper == "CRITICAL" || upper == "FATAL") return spdlog::level::critical;
    throw std::invalid_argument("unknown log level '" + std::string(name) + "'");
}

// The level of `name`: the longest configured prefix (dotted, like Python's logger tree).
spdlog::level::level_enum LevelFor(const State& s, std::string_view name) {
    spdlog::level::level_enum level = s.base_level;
    std::size_t best = 0;
    for (const auto& [prefix, prefix_level] : s.overrides) {
        bool matches = name == prefix ||
                       (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix &&
                        name[prefix.size()] == '.');
        if (matches && prefix.size() >= best) {
            best = prefix.size();
            level = prefix_level;
        }
    }
    return level;
}

std::string ResolveFile(const Options& options) {
    if (options.log_file.empty()) return {};
    std::filesystem::path path(options.log_file);
    if (path.is_relative() && !options.log_dir.empty()) path = options.log_dir / path;
    return path.string();
}

void Apply(State& s, const Options& options) {
    s.base_level = options.debug ? spdlog::level::debug : spdlog::level::info;
    s.overrides.clear();
    for (const auto& entry : options.default_log_levels) {
        auto eq = entry.find('=');
        if (eq == std::string::npos) {
            throw std::invalid_argument("default_log_levels entry '" + entry +
                                        "' is not logger=LEVEL");
        }
        s.overrides[entry.substr(0, eq)] = ParseLevel(entry.substr(eq + 1));
    }
    std::string path = ResolveFile(options);
    if (path != s.file_path || (s.file_sink && !path.empty())) {
        std::vector<std::shared_ptr<spdlog::sinks::sink>> sinks;
        if (path.empty()) {
            s.file_sink.reset();
        } else if (s.file_sink && path == s.file_path) {
            s.file_sink->Reopen();
        } else {
            s.file_sink = std::make_shared<ReopenableFileSink>(path);
        }
        if (s.file_sink) sinks.push_back(s.file_sink);
        if (!s.file_sink || options.use_stderr) {
            sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
        }
        s.sink->set_sinks(std::move(sinks));
        s.file_path = path;
    }
    s.sink->set_formatter(MakeFormatter());
    for (auto& [name, logger] : s.loggers) logger->set_level(LevelFor(s, name));
}

}  // namespace

void Setup(std::string_view program, const Options& options) {
    (void)program;
    State& s = GetState();
    std::lock_guard<std::mutex> lock(s.mutex);
    Apply(s, options);
}

void Reload(const Options& options) {
    State& s = GetState();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.file_sink && ResolveFile(options) == s.file_path) s.file_sink->Reopen();
    Apply(s, options);
}

spdlog::logger& Get(std::string_view name) {
    State& s = GetState();
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.loggers.find(name);
    if (it != s.loggers.end()) return *it->second;
    auto logger = std::make_shared<spdlog::logger>(std::string(name), s.sink);
    logger->set_level(LevelFor(s, name));
    logger->flush_on(spdlog::level::trace);
    if (s.loggers.empty()) s.sink->set_formatter(MakeFormatter());
    auto& ref = *logger;
    s.loggers.emplace(std::string(name), std::move(logger));
    return ref;
}

std::string Prefix(NoContext) { return "[-] "; }

std::string Prefix(const RequestContext& context) {
    std::string out = "[";
    out += context.global_request_id ? *context.global_request_id : "None";
    out += ' ';
    out += context.request_id;
    out += ' ';
    out += context.UserIdentity();
    out += "] ";
    return out;
}

std::string Prefix(const WithInstance& scope) {
    std::string out = scope.context ? Prefix(*scope.context) : Prefix(kNoContext);
    if (!scope.instance_uuid.empty()) {
        out += "[instance: ";
        out += scope.instance_uuid;
        out += "] ";
    }
    return out;
}

}  // namespace nova::log

namespace nova::detail {
void CheckFailed(std::string_view condition, std::string_view message, const char* file,
                 int line) {
    log::Get("nova").critical("[-] Check failed at {}:{}: {} ({})", file, line, condition,
                              message);
    log::Get("nova").flush();
    std::abort();
}
}  // namespace nova::detail
