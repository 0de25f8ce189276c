// Status and Result<T>: errors as values (STYLE.md). A Status carries a code and a message;
// Result<T> holds either a value or a non-ok Status. Exceptions from third-party libraries are
// caught at module edges and turned into a Status with context.
// Thread-safety: value types; no shared state.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace mr {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // caller's input is wrong (bad flag, malformed spec)
  kNotFound,
  kAlreadyExists,
  kConflict,          // optimistic-concurrency failure (HTTP 409)
  kUnavailable,       // transport failure or 5xx; worth retrying
  kDeadlineExceeded,  // timed out
  kPermissionDenied,  // 401/403
  kInternal,
  kUnimplemented,
  kGone,              // HTTP 410: resourceVersion too old (watch must relist)
};

const char* statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  // An error that came from an HTTP API: keeps the HTTP code and the API's reason
  // (e.g. 409 "Conflict" vs 409 "AlreadyExists", 429 "TooManyRequests").
  Status(StatusCode code, std::string message, int http_code, std::string reason)
      : code_(code), message_(std::move(message)), http_code_(http_code),
        reason_(std::move(reason)) {}

  static Status ok() { return Status(); }

  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int httpCode() const { return http_code_; }         // 0 when not from HTTP
  const std::string& reason() const { return reason_; }  // empty when not from an API
  // Transport errors, 5xx, 429 and timeouts are worth retrying; 4xx (but 429) are not.
  bool isRetryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kDeadlineExceeded;
  }
  // "NotFound: the message"
  std::string toString() const;
  // Returns a copy whose message is prefixed with "context: ".
  Status withContext(const std::string& context) const;

  bool operator==(const Status&) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int http_code_ = 0;
  std::string reason_;
};

inline Status invalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status notFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status internalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status deadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }

// Holds a T or a non-ok Status. REQUIRES: a Status passed in is not ok.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).isOk());
  }

  bool isOk() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return isOk(); }

  // REQUIRES: isOk()
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // Ok status when a value is held.
  Status status() const { return isOk() ? Status() : std::get<Status>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace mr
