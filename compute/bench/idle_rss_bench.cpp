// compute-idle-rss-bench: the idle memory of the real nova-compute binary (issue 6: an idle
// nova-compute with the libvirt driver <= 20 MB RSS).
//
//   compute-idle-rss-bench [--uri URI] [--idle SECONDS] [--warm CALLS] [--binary PATH]
//                          [--top N] [--budget MB] [--check] [--conf-extra 'LINE' ...]
//
// Starts nova-compute with compute_driver = libvirt.LibvirtDriver and [libvirt]
// connection_uri = URI (default test:///default, libvirt's in-process test hypervisor; on a
// KVM host pass qemu:///system) against the broker of scripts/services ($NOVA_SERVICES_ENV),
// with a minimal conductor in this process. Once the compute answers baseapi ping (service
// record registered, compute node reported, RPC server consuming), it is left idle for
// SECONDS (default 20: the first heartbeat and periodic tasks have run by then) and its
// /proc/<pid>/smaps is read. --warm CALLS first sends that many baseapi pings from 16
// threads at once, so that the RPC executor threads have all run handlers (and allocated)
// before the idle period: the idle figure of an agent that has served requests.
// What is printed:
//   - RSS, PSS, anonymous and file-backed totals, and the thread count;
//   - the largest mappings grouped by what backs them: each shared library and the binary's
//     own file (RSS = its pages this process touched; PSS divides them among every process
//     mapping them), [heap] (the main malloc arena), thread stacks, the other malloc arenas
//     (glibc's 64 MiB-aligned heaps) and other anonymous memory.
// --check exits 1 when RSS is above --budget (default 20 MB).
//
// The minimal conductor consumes the shared `conductor` queue of the broker's vhost: do not
// run this while another test or a cloud uses the same broker (the requests would be shared
// between the two conductors).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "compute_child.hpp"
#include "mini_conductor.hpp"
#include "nova/common/log.hpp"
#include "nova/rpc/client.hpp"
#include "nova/rpc/transport.hpp"
#include "nova/test/services.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Usage {
    long size_kib = 0;
    long rss_kib = 0;
    long pss_kib = 0;
    long anon_kib = 0;
    int mappings = 0;
};

struct Breakdown {
    Usage total;
    long anon_total_kib = 0;
    long file_total_kib = 0;
    std::map<std::string, Usage> groups;
};

// glibc's secondary malloc arenas are heaps of HEAP_MAX_SIZE (64 MiB on 64-bit), each aligned
// to that size; a thread stack is the stack size limit plus a guard page.
constexpr unsigned long kArenaAlign = 64UL << 20;

std::string Classify(const std::string& path, unsigned long start, long size_kib,
                     long stack_kib) {
    if (!path.empty() && path[0] != '[') return fs::path(path).filename().string();
    if (path == "[heap]") return "[heap] (main malloc arena)";
    if (path == "[stack]") return "[stack] (main thread)";
    if (!path.empty()) return path;
    if (start % kArenaAlign == 0) return "(anon) malloc arenas";
    if (size_kib == stack_kib || size_kib == stack_kib + 4) return "(anon) thread stacks";
    return "(anon) other";
}

Breakdown ReadSmaps(pid_t pid) {
    Breakdown b;
    long stack_kib = 8192;
    std::ifstream status("/proc/" + std::to_string(pid) + "/limits");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Max stack size", 0) == 0) {
            std::istringstream in(line.substr(14));
            long bytes = 0;
            if (in >> bytes && bytes > 0) stack_kib = bytes / 1024;
        }
    }
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
    Usage* current = nullptr;
    bool current_file = false;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        // A mapping header: "start-end perms offset dev inode [path]".
        if (std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < 17 &&
            line.find(':') > line.find(' ')) {
            std::istringstream h(line);
            std::string range, perms, offset, dev, inode, path;
            h >> range >> perms >> offset >> dev >> inode;
            std::getline(h, path);
            path.erase(0, path.find_first_not_of(' '));
            const auto dash = range.find('-');
            const unsigned long start = std::stoul(range.substr(0, dash), nullptr, 16);
            const unsigned long end = std::stoul(range.substr(dash + 1), nullptr, 16);
            const long size_kib = static_cast<long>((end - start) / 1024);
            current = &b.groups[Classify(path, start, size_kib, stack_kib)];
            current_file = inode != "0";
            current->size_kib += size_kib;
            ++current->mappings;
            b.total.size_kib += size_kib;
            continue;
        }
        if (current == nullptr) continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const std::string key = line.substr(0, colon);
        const long kib = std::strtol(line.c_str() + colon + 1, nullptr, 10);
        if (key == "Rss") {
            current->rss_kib += kib;
            b.total.rss_kib += kib;
            (current_file ? b.file_total_kib : b.anon_total_kib) += kib;
        } else if (key == "Pss") {
            current->pss_kib += kib;
            b.total.pss_kib += kib;
        } else if (key == "Anonymous") {
            current->anon_kib += kib;
            b.total.anon_kib += kib;
        }
    }
    return b;
}

std::string StatusValue(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) {
            auto v = line.substr(key.size() + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    }
    return "?";
}

std::string Mb(long kib) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(2) << kib / 1024.0;
    return out.str();
}

int PrintUsage(const char* argv0) {
    std::cerr << "usage: " << argv0
              << " [--uri URI] [--idle SECONDS] [--warm CALLS] [--binary PATH] [--top N] [--budget MB] [--check]"
                 " [--conf-extra 'LINE' ...]\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string uri = "test:///default";
    std::string binary = NOVA_COMPUTE_BINARY;
    int idle_seconds = 20;
    int warm_calls = 0;
    int top = 25;
    double budget_mb = 20;
    bool check = false;
    std::vector<std::string> extra;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        try {
            if (a == "--uri") {
                uri = next();
            } else if (a == "--idle") {
                idle_seconds = std::stoi(next());
            } else if (a == "--warm") {
                warm_calls = std::stoi(next());
            } else if (a == "--binary") {
                binary = next();
            } else if (a == "--top") {
                top = std::stoi(next());
            } else if (a == "--budget") {
                budget_mb = std::stod(next());
            } else if (a == "--check") {
                check = true;
            } else if (a == "--conf-extra") {
                extra.push_back(next());
            } else {
                return PrintUsage(argv[0]);
            }
        } catch (const std::exception& e) {
            std::cerr << e.what() << "\n";
            return PrintUsage(argv[0]);
        }
    }
    nova::log::Options log_options;
    log_options.default_log_levels = {"nova=WARN"};
    nova::log::Setup("compute-idle-rss-bench", log_options);

    const std::string url = nova::test::Services::Get().TransportUrl();
    const std::string exchange = "rss-bench-" + std::to_string(::getpid());
    nova::rpc::TransportOptions options;
    options.control_exchange = exchange;
    options.executor_thread_pool_size = 4;
    auto transport = nova::rpc::MakeTransport(url, options);
    nova::compute::MiniConductor conductor(transport);

    const fs::path dir =
        fs::temp_directory_path() / ("nova-compute-rss-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir / "instances");
    {
        std::ofstream conf(dir / "nova.conf");
        conf << "[DEFAULT]\nhost = rss-bench\ntransport_url = " << url
             << "\ncontrol_exchange = " << exchange
             << "\ncompute_driver = libvirt.LibvirtDriver\nstate_path = " << dir.string()
             << "\ninstances_path = " << (dir / "instances").string()
             << "\nperiodic_fuzzy_delay = 0\n";
        // Extra lines land in [DEFAULT] unless they open a group; [libvirt] comes last.
        for (const auto& line : extra) conf << line << "\n";
        conf << "[libvirt]\nconnection_uri = " << uri << "\n";
    }
    const std::string log = (dir / "nova-compute.log").string();
    const pid_t pid = nova::compute::SpawnNovaCompute(binary, dir / "nova.conf", log);
    if (pid < 0) {
        std::perror("fork");
        return 1;
    }
    auto stop = [pid] {
        ::kill(pid, SIGTERM);
        int status = 0;
        ::waitpid(pid, &status, 0);
        return status;
    };

    const auto ctx = nova::RequestContext::Admin();
    nova::rpc::Client ping(transport,
                           {.topic = "compute", .server = "rss-bench", .namespace_ = "baseapi",
                            .version = "1.1"},
                           std::nullopt, 2000ms);
    bool up = false;
    for (int attempt = 0; attempt < 60 && !up; ++attempt) {
        try {
            ping.Call(ctx, "ping", {{"arg", "rss"}});
            up = true;
        } catch (const std::exception&) {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) break;
            std::this_thread::sleep_for(500ms);
        }
    }
    if (!up) {
        std::cerr << "nova-compute did not come up; its log: " << log << "\n";
        stop();
        return 1;
    }
    if (warm_calls > 0) {
        constexpr int kCallers = 16;
        std::vector<std::thread> callers;
        for (int c = 0; c < kCallers; ++c) {
            callers.emplace_back([&, c] {
                nova::rpc::Client client(transport,
                                         {.topic = "compute", .server = "rss-bench",
                                          .namespace_ = "baseapi", .version = "1.1"},
                                         std::nullopt, 10000ms);
                for (int i = c; i < warm_calls; i += kCallers) {
                    client.Call(ctx, "ping", {{"arg", std::string(1024, 'x')}});
                }
            });
        }
        for (auto& t : callers) t.join();
    }
    std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));

    const Breakdown b = ReadSmaps(pid);
    const std::string threads = StatusValue(pid, "Threads");
    std::cout << "nova-compute (libvirt driver, " << uri << ") idle " << idle_seconds << " s"
              << (warm_calls > 0 ? " after " + std::to_string(warm_calls) + " pings" : "")
              << ": RSS " << Mb(b.total.rss_kib) << " MB (PSS " << Mb(b.total.pss_kib)
              << " MB; anonymous " << Mb(b.anon_total_kib) << " MB, file-backed "
              << Mb(b.file_total_kib) << " MB), " << threads << " threads, budget " << budget_mb
              << " MB RSS\n";
    std::vector<std::pair<std::string, Usage>> groups(b.groups.begin(), b.groups.end());
    std::sort(groups.begin(), groups.end(),
              [](const auto& l, const auto& r) { return l.second.rss_kib > r.second.rss_kib; });
    std::cout << std::left << std::setw(36) << "  mapping" << std::right << std::setw(10)
              << "RSS MB" << std::setw(10) << "PSS MB" << std::setw(10) << "anon MB"
              << std::setw(12) << "virt MB" << std::setw(6) << "maps" << "\n";
    int shown = 0;
    for (const auto& [name, u] : groups) {
        if (shown++ >= top || u.rss_kib == 0) break;
        std::cout << "  " << std::left << std::setw(34) << name << std::right << std::setw(10)
                  << Mb(u.rss_kib) << std::setw(10) << Mb(u.pss_kib) << std::setw(10)
                  << Mb(u.anon_kib) << std::setw(12) << Mb(u.size_kib) << std::setw(6)
                  << u.mappings << "\n";
    }
    std::cout.flush();

    const int status = stop();
    int rc = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::cerr << "nova-compute did not stop cleanly (status " << status << "); its log: "
                  << log << "\n";
        rc = 1;
    }
    if (check && b.total.rss_kib > static_cast<long>(budget_mb * 1024)) {
        std::cout << "OVER BUDGET\n";
        rc = 1;
    }
    if (rc == 0) fs::remove_all(dir);
    return rc;
}
