#include "nova/api/fault.hpp"

#include "nova/common/error.hpp"

namespace nova::api {

std::string_view FaultName(int status) {
    switch (status) {
        case 400: return "badRequest";
        case 401: return "unauthorized";
        case 403: return "forbidden";
        case 404: return "itemNotFound";
        case 405: return "badMethod";
        case 409: return "conflictingRequest";
        case 413: return "overLimit";
        case 415: return "badMediaType";
        case 429: return "overLimit";
        case 501: return "notImplemented";
        case 503: return "serviceUnavailable";
        default: return "computeFault";
    }
}

std::string_view DefaultExplanation(int status) {
    switch (status) {
        case 400: return "The server could not comply with the request since it is either "
                         "malformed or otherwise incorrect.";
        case 401: return "This server could not verify that you are authorized to access the "
                         "document you requested. Either you supplied the wrong credentials "
                         "(e.g., bad password), or your browser does not understand how to "
                         "supply the credentials required.";
        case 403: return "Access was denied to this resource.";
        case 404: return "The resource could not be found.";
        case 405: return "The method is not allowed for this resource.";
        case 409: return "There was a conflict when trying to complete your request.";
        case 413: return "The body of your request was too large for this server.";
        case 415: return "The request media type is not supported by this server.";
        case 501: return "The server has not implemented the requested functionality.";
        case 503: return "The server is currently unavailable. Please try again at a later time.";
        default: return "The server has either erred or is incapable of performing the "
                        "requested operation.";
    }
}

HttpResponse MakeFault(int status, std::string_view message,
                       const std::optional<std::string>& retry_after) {
    Json detail = {{"code", status},
                   {"message", message.empty() ? DefaultExplanation(status) : message}};
    HttpResponse response;
    response.status = status;
    if ((status == 413 || status == 429) && retry_after) {
        detail["retryAfter"] = *retry_after;
        response.SetHeader("Retry-After", *retry_after);
    }
    response.SetJson(Json{{std::string(FaultName(status)), std::move(detail)}},
                     "application/json; charset=UTF-8");
    return response;
}

std::string UnexpectedErrorMessage(std::string_view class_name) {
    std::string message =
        "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach "
        "the Nova API log if possible.";
    if (!class_name.empty()) {
        message += "\n<class 'nova.exception.";
        message += class_name;
        message += "'>";
    }
    return message;
}

FaultFromException FaultFor(std::exception_ptr error) {
    FaultFromException out;
    try {
        std::rethrow_exception(error);
    } catch (const HttpFault& fault) {
        out.response = MakeFault(fault.status(), fault.message(), fault.retry_after());
        out.unexpected = fault.status() >= 500;
        out.log_detail = fault.message();
    } catch (const NovaError& e) {
        if (e.code() >= 400 && e.code() < 500) {
            out.response = MakeFault(e.code(), e.message());
        } else {
            out.response = MakeFault(500, UnexpectedErrorMessage(e.class_name()));
            out.unexpected = true;
        }
        out.log_detail = std::string(e.class_name()) + ": " + e.message();
    } catch (const std::exception& e) {
        out.response = MakeFault(500, UnexpectedErrorMessage({}));
        out.unexpected = true;
        out.log_detail = e.what();
    } catch (...) {
        out.response = MakeFault(500, UnexpectedErrorMessage({}));
        out.unexpected = true;
        out.log_detail = "unknown exception";
    }
    return out;
}

}  // namespace nova::api
