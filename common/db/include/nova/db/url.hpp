#pragma once
// Nova's database URLs ([database] connection, [api_database] connection, cell mappings):
//   mysql+pymysql://user:pass@host:port/db?charset=utf8
//   mysql+pymysql://user:pass@/db?unix_socket=/run/mysqld/mysqld.sock
// (SQLAlchemy's form; user and password may be %-encoded).
#include <map>
#include <string>
#include <string_view>

namespace nova::db {

struct DbUrl {
    std::string driver;  // "mysql+pymysql", "mysql", ...
    std::string user;
    std::string password;
    std::string host;  // empty with a unix socket
    int port = 3306;
    std::string database;
    std::string unix_socket;
    std::map<std::string, std::string> query;  // charset, unix_socket, ...

    // Throws InvalidInput naming what is wrong (never the password).
    static DbUrl Parse(std::string_view url);
    // The URL with the password replaced by ****, for logs and nova-manage's listings.
    std::string Redacted() const;
    // The URL in full (as stored in cell_mappings.database_connection).
    std::string ToString() const;
    // The same server with another database name.
    DbUrl WithDatabase(std::string name) const;
};

}  // namespace nova::db
