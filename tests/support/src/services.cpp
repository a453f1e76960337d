#include "nova/test/services.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace nova::test {

const Services& Services::Get() {
    static const Services services = [] {
        Services s;
        const char* env = std::getenv("NOVA_SERVICES_ENV");
        s.path_ = env ? env : std::string(NOVA_SOURCE_DIR) + "/.state/test/env";
        std::ifstream in(s.path_);
        if (!in) {
            throw std::runtime_error("no service environment at " + s.path_ +
                                     ": start the services first (scripts/services start "
                                     "--profile test), or run scripts/test");
        }
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            if (line.rfind("export ", 0) == 0) line = line.substr(7);
            auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            std::string value = line.substr(eq + 1);
            if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) {
                value = value.substr(1, value.size() - 2);
            }
            s.values_[line.substr(0, eq)] = value;
        }
        return s;
    }();
    return services;
}

const std::string& Services::Value(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw std::runtime_error(key + " is not set in " + path_);
    return it->second;
}

std::string Services::DatabaseUrl(const std::string& db) const {
    return "mysql+pymysql://" + Value("NOVA_DB_USER") + ":" + Value("NOVA_DB_PASSWORD") + "@" +
           Value("NOVA_DB_HOST") + ":" + Value("NOVA_DB_PORT") + "/" + db + "?charset=utf8";
}

}  // namespace nova::test
