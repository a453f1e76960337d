#pragma once
// Expected failures: one hierarchy rooted at NovaError, named as Nova names them.
//
// Each error carries Nova's wire identity (class name and module), its kwargs (the values
// that filled the message template, plus "code"), and an HTTP code. The list itself is in
// error_list.hpp. Bugs are not errors: use NOVA_CHECK / NOVA_ASSERT (assert.hpp) for those.
#include <exception>
#include <initializer_list>
#include <utility>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "nova/common/error_list.hpp"
#include "nova/common/json.hpp"

namespace nova {

// The values that fill an error's message template: `InstanceNotFound({{"instance_id", id}})`,
// or a prepared JSON object. (A distinct type, so that a braced list always means kwargs.)
struct Kwargs {
    Json value = Json::object();
    Kwargs() = default;
    Kwargs(std::initializer_list<std::pair<const std::string, Json>> items) {
        for (const auto& [key, v] : items) value[key] = v;
    }
    Kwargs(Json object) : value(std::move(object)) {}  // NOLINT: implicit on purpose
};

class NovaError : public std::exception {
public:
    static constexpr std::string_view kClassName = "NovaException";
    static constexpr std::string_view kModule = "nova.exception";
    static constexpr std::string_view kTemplate = "An unknown exception occurred.";
    static constexpr int kCode = 500;
    static constexpr bool kRetry = false;

    // Message from the class's template, filled from kwargs (Nova's `msg_fmt % kwargs`).
    explicit NovaError(Kwargs kwargs = {})
        : NovaError(InitTag{}, Init{kTemplate, kCode, std::move(kwargs.value), std::nullopt}) {}
    // An explicit message replaces the template (Nova's `NovaException(message=...)`).
    static NovaError WithMessage(std::string message, Kwargs kwargs = {}) {
        return NovaError(InitTag{},
                         Init{kTemplate, kCode, std::move(kwargs.value), std::move(message)});
    }
    // A lone string would silently become kwargs; use WithMessage(message) instead. (Only
    // const char* is deleted: a deleted std::string overload would make {{"k", "v"}} ambiguous,
    // since std::string can be built from two const char* iterators.)
    explicit NovaError(const char*) = delete;

    const char* what() const noexcept override { return message_.c_str(); }
    const std::string& message() const { return message_; }
    // The template's arguments plus "code": what Nova sends as the failure's kwargs.
    const Json& kwargs() const { return kwargs_; }
    int code() const { return code_; }

    virtual std::string_view class_name() const { return kClassName; }
    virtual std::string_view module() const { return kModule; }
    virtual bool retryable() const { return kRetry; }
    // Throws a copy with the same dynamic type (for handing an error across strands).
    [[noreturn]] virtual void Rethrow() const { throw *this; }
    // True if this error is `name` or one of its subclasses, by Nova class name.
    virtual bool IsA(std::string_view name) const { return name == kClassName; }

protected:
    struct InitTag {};
    struct Init {
        std::string_view message_template;
        int code;
        Json kwargs;
        std::optional<std::string> message;
    };
    NovaError(InitTag, Init init);

private:
    std::string message_;
    Json kwargs_;
    int code_;
};

#define NOVA_DECLARE_ERROR_(Name, Parent, Code, Retry, Module, Template)                          \
    class Name : public Parent {                                                                 \
    public:                                                                                      \
        static constexpr std::string_view kClassName = #Name;                                    \
        static constexpr std::string_view kModule = Module;                                      \
        static constexpr std::string_view kTemplate =                                            \
            std::string_view(Template).empty() ? Parent::kTemplate : std::string_view(Template); \
        static constexpr int kCode = (Code) != 0 ? (Code) : Parent::kCode;                       \
        static constexpr bool kRetry = Retry;                                                    \
        explicit Name(Kwargs kwargs = {})                                                        \
            : Parent(InitTag{}, Init{kTemplate, kCode, std::move(kwargs.value), std::nullopt}) {} \
        static Name WithMessage(std::string message, Kwargs kwargs = {}) {                       \
            return Name(InitTag{},                                                               \
                        Init{kTemplate, kCode, std::move(kwargs.value), std::move(message)});    \
        }                                                                                        \
        explicit Name(const char*) = delete;                                                     \
        std::string_view class_name() const override { return kClassName; }                     \
        std::string_view module() const override { return kModule; }                            \
        bool retryable() const override { return kRetry; }                                       \
        [[noreturn]] void Rethrow() const override { throw *this; }                              \
        bool IsA(std::string_view name) const override {                                         \
            return name == kClassName || Parent::IsA(name);                                      \
        }                                                                                        \
                                                                                                 \
    protected:                                                                                   \
        Name(InitTag tag, Init init) : Parent(tag, std::move(init)) {}                           \
    };

NOVA_ERROR_LIST(NOVA_DECLARE_ERROR_)
#undef NOVA_DECLARE_ERROR_

// Rebuilds an error that arrived by name (an RPC failure reply): the class named
// `class_name` with the given message and kwargs, or nullptr when no such class exists here.
std::unique_ptr<NovaError> MakeErrorByName(std::string_view class_name, std::string message,
                                           Json kwargs);

// Python's `fmt % kwargs` for Nova's message templates: %(key)s, %(key)d, %(key)i, %(key)r
// and %%. Values print the way Python prints them (None, True, ['a', None]). Returns
// nullopt when a key is missing or the template is malformed (Nova then logs and keeps the
// bare template).
std::optional<std::string> FormatPercentTemplate(std::string_view tmpl, const Json& kwargs);

// Python's str() of a JSON value: strings unquoted, None/True/False, lists and dicts in repr.
std::string PythonStr(const Json& value);
// Python's repr() of a JSON value ('a' quoted).
std::string PythonRepr(const Json& value);

}  // namespace nova
