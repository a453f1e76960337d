#pragma once
// Shared by the nova-api process tests: the real binary as a child process on free
// loopback ports with a local image catalog, a keep-alive HTTP client, and a shell runner.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "nova/common/json.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using nova::Json;
using tcp = asio::ip::tcp;

namespace nova::api::testing {

inline const char* kCatalog = R"({"images": [
  {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "name": "cirros", "min_ram": 64, "min_disk": 1,
   "disk_format": "qcow2", "container_format": "bare", "size": 21430272,
   "created_at": "2026-01-01T00:00:00Z"}]})";

inline std::string ReadFile(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// nova-api as a child process, with its log in a file of its own directory.
class NovaApi {
public:
    explicit NovaApi(const std::string& extra_conf = "") {
        dir_ = fs::temp_directory_path() / ("nova-api-test-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(counter_++));
        fs::create_directories(dir_);
        std::ofstream(dir_ / "images.json") << kCatalog;
        std::ofstream(dir_ / "nova.conf")
            << "[DEFAULT]\nosapi_compute_listen = 127.0.0.1\nosapi_compute_listen_port = 0\n"
            << "osapi_compute_workers = 2\nosapi_compute_handler_threads = 4\n"
            << "[api]\nauth_strategy = noauth2\n"
            << "[oslo_middleware]\nmax_request_body_size = 4096\n"
            << "[glance]\nlocal_catalog_file = " << (dir_ / "images.json").string()
            << "\nlocal_api_listen = 127.0.0.1\nlocal_api_listen_port = 0\n"
            << extra_conf;
        std::string log = (dir_ / "nova-api.log").string();
        std::fflush(nullptr);  // the child must not repeat our buffered output
        pid_ = ::fork();
        if (pid_ == 0) {
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            std::string conf = (dir_ / "nova.conf").string();
            ::execl(NOVA_API_BINARY, "nova-api", "--config-file", conf.c_str(), nullptr);
            ::_exit(127);
        }
    }
    ~NovaApi() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ignored;
        if (!std::getenv("NOVA_TEST_KEEP")) fs::remove_all(dir_, ignored);
    }

    // Waits for both "listening on" lines; false when the process exits first.
    bool WaitReady() {
        std::regex listening(R"((osapi_compute|local Glance v2 \(read-only image catalog\)) listening on 127\.0\.0\.1:(\d+))");
        for (int i = 0; i < 200; ++i) {
            std::string log = Log();
            for (auto it = std::sregex_iterator(log.begin(), log.end(), listening); it != std::sregex_iterator(); ++it) {
                ((*it)[1] == "osapi_compute" ? compute_port : glance_port) = std::stoi((*it)[2]);
            }
            if (compute_port && glance_port) return true;
            if (Exited()) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return false;
    }
    std::string Log() const { return ReadFile(dir_ / "nova-api.log"); }
    const fs::path& dir() const { return dir_; }
    pid_t pid() const { return pid_; }
    void Signal(int sig) { ::kill(pid_, sig); }
    bool Exited() {
        if (exited_) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            exited_ = true;
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return exited_;
    }
    // Waits up to `seconds` for the process to end; its exit code, or -1.
    int WaitExit(int seconds) {
        for (int i = 0; i < seconds * 40; ++i) {
            if (Exited()) return exit_code_;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return -1;
    }

    int compute_port = 0;
    int glance_port = 0;

private:
    static inline int counter_ = 0;
    fs::path dir_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int exit_code_ = -1;
};

struct Reply {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    Json json() const { return Json::parse(body); }
    std::string header(const std::string& name) const {
        for (const auto& [k, v] : headers) {
            if (beast::iequals(k, name)) return v;
        }
        return "";
    }
    int count(const std::string& name) const {
        int n = 0;
        for (const auto& [k, v] : headers) n += beast::iequals(k, name) ? 1 : 0;
        return n;
    }
};

// A keep-alive HTTP/1.1 client connection.
class Client {
public:
    explicit Client(int port) : stream_(io_) {
        tcp::resolver resolver(io_);
        stream_.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
        host_ = "127.0.0.1:" + std::to_string(port);
    }
    Reply Send(const std::string& method, const std::string& target,
               std::vector<std::pair<std::string, std::string>> headers = {}, const std::string& body = {}) {
        http::request<http::string_body> req{http::string_to_verb(method), target, 11};
        req.set(http::field::host, host_);
        for (const auto& [k, v] : headers) req.set(k, v);
        if (!body.empty() || method == "POST" || method == "PUT") {
            req.body() = body;
            req.prepare_payload();
        }
        http::write(stream_, req);
        return Read();
    }
    Reply Read() {
        http::response_parser<http::string_body> parser;
        parser.body_limit(16 * 1024 * 1024);
        http::read(stream_, buffer_, parser);
        Reply r;
        r.status = static_cast<int>(parser.get().result_int());
        for (const auto& f : parser.get()) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        r.body = parser.get().body();
        return r;
    }
    beast::tcp_stream& stream() { return stream_; }

private:
    asio::io_context io_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::string host_;
};

inline Reply Get(int port, const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Client(port).Send("GET", target, std::move(headers));
}

inline const std::vector<std::pair<std::string, std::string>> kAdmin = {{"X-Auth-Token", "admin:admin"}};

inline std::string Run(const std::string& command, int* rc = nullptr) {
    std::string output;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
    int status = ::pclose(pipe);
    if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return output;
}

// One of our service binaries (nova-conductor, -scheduler, -compute) as a child process with
// its own config file and log; SIGTERM on destruction, SIGKILL after 10 s.
class ServiceProcess {
public:
    ServiceProcess(const char* binary, const std::string& name, const fs::path& dir, const std::string& conf) {
        conf_ = dir / (name + ".conf");
        log_ = dir / (name + ".log");
        std::ofstream(conf_) << conf;
        std::fflush(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execl(binary, name.c_str(), "--config-file", conf_.c_str(), nullptr);
            ::_exit(127);
        }
    }
    ~ServiceProcess() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 200; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    std::string Log() const { return ReadFile(log_); }

private:
    pid_t pid_ = -1;
    fs::path conf_, log_;
};

}  // namespace nova::api::testing
