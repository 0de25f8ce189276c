// Maps Kubernetes API failures to mr::Status (the mapping is documented in api_client.h):
// the HTTP code and the Status object's `reason` are kept on the returned Status.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "k8s/api_client.h"

namespace mr::k8s {

// `body` is the response body; a metav1.Status JSON gives message and reason, anything else is
// quoted (truncated) in the message. REQUIRES: http_code is not 2xx.
Status statusFromHttpResponse(int http_code, const std::string& body);
// For an ERROR watch event's object (a metav1.Status with `code`).
Status statusFromStatusObject(const Json& status_object);
// The StatusCode for an HTTP code and Kubernetes reason.
StatusCode statusCodeForHttp(int http_code, const std::string& reason);

}  // namespace mr::k8s
