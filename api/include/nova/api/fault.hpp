#pragma once
// Error responses (api-surface.md §3): {"<faultName>": {"code": N, "message": "..."}}.
//
// How failures map to responses:
//   - HttpFault (a handler's explicit answer, Nova's webob.exc.HTTP*): its status and text;
//   - NovaError with a 4xx code: that code and the error's message (InstanceNotFound -> 404
//     "Instance X could not be found.", InstanceInvalidState -> 409, PolicyNotAuthorized ->
//     403, ValidationError -> 400);
//   - anything else (NovaError with a 5xx code, std::exception, ...): 500 computeFault with
//     Nova's "Unexpected API Error" text and the Nova class name if there is one; the
//     details go to the log only.
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "nova/api/http_message.hpp"

namespace nova::api {

// "badRequest", "itemNotFound", ... or "computeFault".
std::string_view FaultName(int status);

// An explicit HTTP answer from a handler (webob.exc.HTTPConflict(explanation=...) in Nova).
class HttpFault : public std::runtime_error {
public:
    HttpFault(int status, std::string message, std::optional<std::string> retry_after = {})
        : std::runtime_error(message),
          status_(status),
          message_(std::move(message)),
          retry_after_(std::move(retry_after)) {}
    int status() const { return status_; }
    const std::string& message() const { return message_; }
    const std::optional<std::string>& retry_after() const { return retry_after_; }

private:
    int status_;
    std::string message_;
    std::optional<std::string> retry_after_;
};

// webob's default explanation for a status without a message of its own.
std::string_view DefaultExplanation(int status);

// The fault body and Content-Type for `status`.
HttpResponse MakeFault(int status, std::string_view message,
                       const std::optional<std::string>& retry_after = std::nullopt);

// Nova's message for an unexpected failure. `class_name` is the Nova exception's name, or
// empty for non-Nova failures (whose type is internal detail).
std::string UnexpectedErrorMessage(std::string_view class_name);

// Turns the exception in flight into a fault response; logs unexpected ones with context.
struct FaultFromException {
    HttpResponse response;
    bool unexpected = false;  // a 500: the caller logs it as an error
    std::string log_detail;   // what to log (never sent)
};
FaultFromException FaultFor(std::exception_ptr error);

}  // namespace nova::api
