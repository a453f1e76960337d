#pragma once
// Starts the real nova-compute binary as a child process, for the tests and benches that
// need the binary itself: configuration from `conf`, stdout and stderr to `log`.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace nova::compute {

// The child's pid, or -1 when fork failed (errno says why).
inline pid_t SpawnNovaCompute(const std::string& binary, const std::filesystem::path& conf,
                              const std::string& log) {
    std::fflush(nullptr);  // or the child would write the parent's buffered output again
    const pid_t pid = ::fork();
    if (pid == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::execl(binary.c_str(), "nova-compute", "--config-file", conf.c_str(), nullptr);
        ::_exit(127);
    }
    return pid;
}

}  // namespace nova::compute
