#pragma once
// Real nova-scheduler processes for the multi-process tests and the RPC benchmark: each one
// gets its own nova.conf (host, transport_url, a control_exchange private to the test, the
// API and cell databases of a testing::Cloud) and a log file, and is started with fork/exec.
// The destructor kills (SIGKILL) whatever is still running, so a failed check never leaves
// a scheduler behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nova/common/context.hpp"
#include "nova/common/uuid.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/transport.hpp"

namespace nova::scheduler::testing {

struct SchedulerProcessConfig {
    std::string binary;            // path of nova-scheduler
    std::string transport_url;
    std::string control_exchange;  // private to the test, so parallel tests never meet
    std::string api_database_url;
    std::string cell_database_url;
    int workers = 4;               // [scheduler] workers: RPC handler threads
    std::string extra_conf;        // more nova.conf lines (whole sections)
    bool debug = false;            // --debug: one "Dispatching <method>" line per request
};

class SchedulerProcess {
public:
    SchedulerProcess(const SchedulerProcessConfig& config, std::string host,
                     const std::filesystem::path& dir)
        : host_(std::move(host)) {
        std::filesystem::create_directories(dir);
        const auto conf = (dir / (host_ + ".conf")).string();
        log_ = (dir / (host_ + ".log")).string();
        std::ofstream(conf) << "[DEFAULT]\nhost = " << host_
                            << "\ntransport_url = " << config.transport_url
                            << "\ncontrol_exchange = " << config.control_exchange
                            << "\nreport_interval = 10\ngraceful_shutdown_timeout = 60\n"
                            << "[api_database]\nconnection = " << config.api_database_url << "\n"
                            << "[database]\nconnection = " << config.cell_database_url << "\n"
                            << "[scheduler]\nworkers = " << config.workers << "\n"
                            << config.extra_conf << "\n";
        std::fflush(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            if (config.debug) {
                ::execl(config.binary.c_str(), "nova-scheduler", "--config-file", conf.c_str(),
                        "--debug", nullptr);
            } else {
                ::execl(config.binary.c_str(), "nova-scheduler", "--config-file", conf.c_str(),
                        nullptr);
            }
            ::_exit(127);
        }
    }
    ~SchedulerProcess() {
        if (running()) {
            ::kill(pid_, SIGKILL);
            Wait();
        }
    }
    SchedulerProcess(const SchedulerProcess&) = delete;
    SchedulerProcess& operator=(const SchedulerProcess&) = delete;

    const std::string& host() const { return host_; }
    pid_t pid() const { return pid_; }
    bool running() const { return !status_.has_value(); }

    void Terminate() const { ::kill(pid_, SIGTERM); }
    // Waits for the exit; the raw waitpid status.
    int Wait() {
        if (status_) return *status_;
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        status_ = status;
        return status;
    }
    // True when it has exited (without waiting).
    bool Exited() {
        if (status_) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            status_ = status;
            return true;
        }
        return false;
    }

    std::string Log() const {
        std::ifstream in(log_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    // Lines of the log that contain `needle`.
    int CountLogLines(const std::string& needle) const {
        std::ifstream in(log_);
        int n = 0;
        for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
        return n;
    }
    // Resident set size in KiB (VmRSS), 0 once it has exited.
    long RssKb() const {
        std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
        for (std::string line; std::getline(in, line);) {
            if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
        }
        return 0;
    }

private:
    std::string host_;
    std::string log_;
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// `count` schedulers named <prefix>-0..count-1, each answering baseapi ping on its own
// scheduler.<host> queue before this returns (throws, with the log, when one died or did not
// answer within `patience`).
inline std::vector<std::unique_ptr<SchedulerProcess>> StartSchedulers(
    const SchedulerProcessConfig& config, const std::shared_ptr<rpc::Transport>& transport,
    const std::string& prefix, int count, const std::filesystem::path& dir,
    std::chrono::seconds patience = std::chrono::seconds(30)) {
    std::vector<std::unique_ptr<SchedulerProcess>> out;
    for (int i = 0; i < count; ++i) {
        out.push_back(std::make_unique<SchedulerProcess>(config, prefix + "-" + std::to_string(i), dir));
    }
    auto ctx = RequestContext::Admin();
    rpc::Client baseapi(transport, rpc::Target{.topic = "scheduler", .namespace_ = "baseapi", .version = "1.1"});
    const auto until = std::chrono::steady_clock::now() + patience;
    for (auto& p : out) {
        for (;;) {
            try {
                baseapi.Prepare({.server = p->host(), .timeout = std::chrono::milliseconds(500)})
                    .Call(ctx, "ping", {{"arg", "ready"}});
                break;
            } catch (const std::exception&) {
                if (p->Exited() || std::chrono::steady_clock::now() > until) {
                    throw std::runtime_error("nova-scheduler " + p->host() + " did not start:\n" + p->Log());
                }
            }
        }
    }
    return out;
}

}  // namespace nova::scheduler::testing
