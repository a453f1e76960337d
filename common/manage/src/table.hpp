#pragma once
// PrettyTable's default look (what nova-manage prints with Python's prettytable): borders of
// + - |, one space of padding, every cell centred.
#include <string>
#include <vector>

namespace nova::manage {

class Table {
public:
    explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
    void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    std::string Render() const;

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

// Python's str() of a bool.
inline std::string PyBool(bool v) { return v ? "True" : "False"; }

// nova-manage's mask_passwd_in_url: the password in a URL's netloc becomes ****.
std::string MaskPasswordInUrl(const std::string& url);

}  // namespace nova::manage
