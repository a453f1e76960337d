#pragma once
// Where the RabbitMQ and MariaDB that scripts/services started for tests are.
//
// scripts/services writes .state/<profile>/env (KEY=VALUE lines); tests read the file named
// by $NOVA_SERVICES_ENV, or .state/test/env in the source tree. A test that needs a service
// that is not there fails (it never skips): starting services is the test script's job.
#include <map>
#include <string>

namespace nova::test {

class Services {
public:
    // Loads the env file once; throws std::runtime_error naming the file when missing.
    static const Services& Get();

    // A value from the env file (e.g. "NOVA_RABBIT_PORT"); throws when absent.
    const std::string& Value(const std::string& key) const;

    // transport_url for the project's vhost ("rabbit://nova:...@127.0.0.1:port/nova").
    std::string TransportUrl() const { return Value("NOVA_TRANSPORT_URL"); }
    // SQLAlchemy-style URL of a database named `db` on the test MariaDB (user with all rights).
    std::string DatabaseUrl(const std::string& db) const;
    const std::string& path() const { return path_; }

private:
    std::map<std::string, std::string> values_;
    std::string path_;
};

}  // namespace nova::test
