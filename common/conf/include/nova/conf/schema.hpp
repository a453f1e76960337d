#pragma once
// Schema<Options>: the declaration of one option struct. Usage (in the group's .cpp):
//
//   void RabbitOptions::Declare(Schema<RabbitOptions>& s) {
//       s.Opt("heartbeat_timeout_threshold", &RabbitOptions::heartbeat_timeout_threshold, 60,
//             "Seconds without a frame from the broker before the link is declared dead.")
//           .Min(0);
//   }
//
// and then `auto rabbit = conf::Load<RabbitOptions>(source);`. The member's C++ type picks
// the option type: bool, int, double, std::string, std::vector<std::string> (a list; .Multi()
// for a MultiStrOpt), std::map<std::string, std::string> (a dict), and std::optional<...> of
// those for options whose default is None.
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "nova/common/error.hpp"
#include "nova/conf/option.hpp"
#include "nova/conf/source.hpp"

namespace nova::conf {

namespace detail {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
struct Unwrap {
    using type = T;
};
template <class T>
struct Unwrap<std::optional<T>> {
    using type = T;
};

template <class T>
constexpr OptType TypeOf() {
    if constexpr (std::is_same_v<T, bool>) {
        return OptType::kBoolean;
    } else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, long> ||
                         std::is_same_v<T, long long>) {
        return OptType::kInteger;
    } else if constexpr (std::is_same_v<T, double>) {
        return OptType::kFloat;
    } else if constexpr (std::is_same_v<T, std::string>) {
        return OptType::kString;
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        return OptType::kList;
    } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
        return OptType::kDict;
    } else {
        static_assert(sizeof(T) == 0, "unsupported option type");
    }
}

// Parse `text` as the option's type. On failure, return a reason ("not an integer").
std::optional<std::string> ParseInto(std::string_view text, bool& out);
std::optional<std::string> ParseInto(std::string_view text, long long& out);
std::optional<std::string> ParseInto(std::string_view text, double& out);
std::optional<std::string> ParseInto(std::string_view text, std::string& out);
std::optional<std::string> ParseInto(std::string_view text, std::vector<std::string>& out);
std::optional<std::string> ParseInto(std::string_view text, std::map<std::string, std::string>& out);

// Range and choice checks shared by every type.
std::optional<std::string> CheckNumber(double value, const OptionInfo& info);
std::optional<std::string> CheckChoice(const std::string& value, const OptionInfo& info);

std::string DefaultText(bool v);
std::string DefaultText(long long v);
std::string DefaultText(double v);
std::string DefaultText(const std::string& v);
std::string DefaultText(const std::vector<std::string>& v);
std::string DefaultText(const std::map<std::string, std::string>& v);

// Throws ConfigFileValueError naming where the value came from.
[[noreturn]] void ThrowBadValue(std::string_view group, const OptionInfo& info,
                                const RawValue& raw, std::string_view reason);

}  // namespace detail

template <class Options>
class Schema {
public:
    // Integers are stored as long long while parsing, whatever the member's width.
    template <class T>
    using Storage = std::conditional_t<std::is_integral_v<T> && !std::is_same_v<T, bool>,
                                       long long, T>;

    template <class T>
    class Option {
    public:
        Option& Min(double v) { info_.min = v; return *this; }
        Option& Max(double v) { info_.max = v; return *this; }
        Option& Port() { info_.min = 0; info_.max = 65535; return *this; }
        Option& Choices(std::vector<std::string> c) { info_.choices = std::move(c); return *this; }
        Option& Secret() { info_.secret = true; return *this; }
        Option& Reloadable() { info_.reloadable = true; return *this; }
        Option& DeprecatedName(std::string old) {
            info_.deprecated_names.push_back(std::move(old));
            return *this;
        }
        // Each occurrence in the files adds an item (oslo.config's MultiStrOpt).
        Option& Multi() { info_.type = OptType::kMultiString; return *this; }
        // The default is computed at load time (the host name, say); the sample shows `text`.
        Option& DefaultFrom(std::function<T()> fn, std::string sample_text) {
            compute_default_ = std::move(fn);
            info_.default_text = std::move(sample_text);
            info_.has_default = true;
            return *this;
        }

    private:
        friend class Schema;
        OptionInfo info_;
        std::optional<T> default_;
        std::function<T()> compute_default_;
    };

    // An option with a default value.
    // `member` may belong to a base of Options (an option struct that extends a plain one).
    template <class M, class B, class D>
        requires std::is_base_of_v<B, Options>
    Option<Storage<typename detail::Unwrap<M>::type>>& Opt(std::string name, M B::*member,
                                                           D default_value, std::string help) {
        using S = Storage<typename detail::Unwrap<M>::type>;
        auto& opt = Add<M>(std::move(name), member, std::move(help));
        opt.default_ = S(std::move(default_value));
        opt.info_.has_default = true;
        opt.info_.default_text = detail::DefaultText(*opt.default_);
        return opt;
    }

    // An option without a default (None); the member must be a std::optional.
    template <class M, class B>
        requires std::is_base_of_v<B, Options>
    Option<Storage<typename detail::Unwrap<M>::type>>& Opt(std::string name, M B::*member,
                                                           std::string help) {
        static_assert(detail::IsOptional<M>::value,
                      "an option without a default must be a std::optional member");
        return Add<M>(std::move(name), member, std::move(help));
    }

    // Builds the struct from `source`, reading group `group`. Values that fail their type,
    // range or choices throw ConfigFileValueError naming file, line, group and option.
    Options Load(const ConfigSource& source, std::string_view group) const {
        Options out{};
        for (const auto& entry : entries_) entry->load(out, source, group);
        return out;
    }

    std::vector<OptionInfo> Infos() const {
        std::vector<OptionInfo> infos;
        for (const auto& entry : entries_) infos.push_back(entry->info());
        return infos;
    }

private:
    struct EntryBase {
        virtual ~EntryBase() = default;
        virtual void load(Options& out, const ConfigSource& source,
                          std::string_view group) const = 0;
        virtual const OptionInfo& info() const = 0;
    };

    template <class M>
    struct Entry final : EntryBase {
        using T = typename detail::Unwrap<M>::type;
        using S = Storage<T>;
        M Options::*member;
        Option<S> option;

        const OptionInfo& info() const override { return option.info_; }

        void load(Options& out, const ConfigSource& source, std::string_view group) const override {
            const OptionInfo& oi = option.info_;
            const std::vector<RawValue>* raw = source.Find(group, oi.name);
            for (const auto& old : oi.deprecated_names) {
                if (raw) break;
                raw = source.Find(group, old);
            }
            if (!raw || raw->empty()) {
                if (option.compute_default_) {
                    Assign(out, option.compute_default_());
                } else if (option.default_) {
                    Assign(out, *option.default_);
                }
                return;
            }
            if (oi.type == OptType::kMultiString) {
                if constexpr (std::is_same_v<S, std::vector<std::string>>) {
                    std::vector<std::string> all;
                    for (const auto& value : *raw) all.push_back(source.Interpolate(group, value));
                    Assign(out, std::move(all));
                }
                return;
            }
            const RawValue& value = raw->back();
            std::string text = source.Interpolate(group, value);
            S parsed{};
            if (auto reason = detail::ParseInto(text, parsed)) {
                detail::ThrowBadValue(group, oi, value, *reason);
            }
            if constexpr (std::is_arithmetic_v<S> && !std::is_same_v<S, bool>) {
                if (auto reason = detail::CheckNumber(static_cast<double>(parsed), oi)) {
                    detail::ThrowBadValue(group, oi, value, *reason);
                }
                if constexpr (std::is_integral_v<T>) {
                    if (parsed < static_cast<long long>(std::numeric_limits<T>::min()) ||
                        parsed > static_cast<long long>(std::numeric_limits<T>::max())) {
                        detail::ThrowBadValue(group, oi, value, "out of range");
                    }
                }
            }
            if constexpr (std::is_same_v<S, std::string>) {
                if (auto reason = detail::CheckChoice(parsed, oi)) {
                    detail::ThrowBadValue(group, oi, value, *reason);
                }
            }
            Assign(out, std::move(parsed));
        }

        void Assign(Options& out, S value) const {
            if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
                out.*member = static_cast<T>(value);
            } else {
                out.*member = std::move(value);
            }
        }
    };

    template <class M, class B>
    Option<Storage<typename detail::Unwrap<M>::type>>& Add(std::string name, M B::*member,
                                                          std::string help) {
        using T = typename detail::Unwrap<M>::type;
        auto entry = std::make_unique<Entry<M>>();
        entry->member = member;  // a base's member converts to Options' implicitly
        entry->option.info_.name = std::move(name);
        entry->option.info_.type = detail::TypeOf<Storage<T>>();
        entry->option.info_.help = std::move(help);
        auto& ref = entry->option;
        entries_.push_back(std::move(entry));
        return ref;
    }

    std::vector<std::unique_ptr<EntryBase>> entries_;
};

// Loads an option struct from its group (or another group of the same shape, e.g.
// DatabaseOptions from [database] and from [api_database]).
template <class Options>
Options Load(const ConfigSource& source, std::string_view group = Options::kGroup) {
    Schema<Options> schema;
    Options::Declare(schema);
    return schema.Load(source, group);
}

template <class Options>
GroupInfo Describe(std::string_view group = Options::kGroup) {
    Schema<Options> schema;
    Options::Declare(schema);
    return GroupInfo{std::string(group), std::string(Options::kHelp), schema.Infos()};
}

}  // namespace nova::conf
