#include "command.hpp"

namespace nova::manage {

std::optional<std::string> Args::Option(const std::string& name) const {
    auto it = options.find(name);
    if (it == options.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

Context::Context(const conf::Program& program)
    : database_(conf::LoadOrExit<conf::DatabaseOptions>(program)),
      api_database_(conf::LoadOrExit<conf::DatabaseOptions>(program, "api_database")),
      messaging_(conf::LoadOrExit<conf::MessagingOptions>(program)),
      defaults_(conf::LoadOrExit<conf::DefaultOptions>(program)) {}

db::Pool& Context::Api() {
    if (!api_) api_ = db::Pool::Create(api_database_);
    return *api_;
}

db::Pool& Context::Main() {
    if (!main_) main_ = db::Pool::Create(database_);
    return *main_;
}

db::Pool& Context::Cell(const std::string& url) {
    auto& pool = cells_[url];
    if (!pool) pool = db::Pool::Create(database_, url);
    return *pool;
}

}  // namespace nova::manage
