#pragma once
// What the configuration files (and command-line overrides) say, before any option reads it:
// raw text per [group] and key, with where each value came from, in load order.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nova::conf {

struct RawValue {
    std::string text;
    std::string file;  // path, or "command line"
    int line = 0;
    // "file:line" or "command line", for error messages.
    std::string Origin() const;
};

class ConfigSource {
public:
    // Reads the files in order; a later file overrides an earlier one key by key (oslo.config's
    // --config-file semantics). A missing or unparsable file is a ConfigFileValueError that
    // names the file and line.
    static ConfigSource FromFiles(const std::vector<std::string>& paths);
    // For tests and tools: INI text as if read from a file called `name`.
    static ConfigSource FromString(std::string_view ini_text, std::string_view name = "<string>");

    // Adds `text` after everything loaded so far (command-line overrides).
    void Set(std::string_view group, std::string_view key, std::string text,
             std::string origin = "command line");

    // Every value given for group/key in load order (MultiStrOpt uses them all), or null.
    // Group names are case-sensitive except DEFAULT; keys are as written (oslo: dashes and
    // underscores are the same).
    const std::vector<RawValue>* Find(std::string_view group, std::string_view key) const;
    // The last value given, or null.
    const RawValue* FindLast(std::string_view group, std::string_view key) const;

    // Resolves oslo.config substitutions in `value.text`: $name and ${name} (same group, then
    // DEFAULT) and ${group.name}; $$ is a literal $. Unresolvable references are an error.
    std::string Interpolate(std::string_view group, const RawValue& value) const;

    const std::vector<std::string>& files() const { return files_; }

private:
    void Parse(std::string_view text, const std::string& name);
    static std::string NormaliseKey(std::string_view key);
    std::string Resolve(std::string_view group, std::string_view text, const RawValue& origin,
                        int depth) const;

    std::map<std::string, std::map<std::string, std::vector<RawValue>, std::less<>>, std::less<>>
        values_;
    std::vector<std::string> files_;
};

}  // namespace nova::conf
