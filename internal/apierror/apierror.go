// Package apierror holds the error codes of the API contract and the error type that carries
// one to the HTTP layer, which renders {"error": {"code", "message", "details"}}.
package apierror

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable error code of api.md.
type Code string

const (
	InvalidRequest      Code = "INVALID_REQUEST"
	InvalidQuery        Code = "INVALID_QUERY"
	InvalidMetricName   Code = "INVALID_METRIC_NAME"
	Unauthorized        Code = "UNAUTHORIZED"
	TokenExpired        Code = "TOKEN_EXPIRED"
	InvalidToken        Code = "INVALID_TOKEN"
	Forbidden           Code = "FORBIDDEN"
	NotFound            Code = "NOT_FOUND"
	PayloadTooLarge     Code = "PAYLOAD_TOO_LARGE"
	RateLimitExceeded   Code = "RATE_LIMIT_EXCEEDED"
	CardinalityExceeded Code = "CARDINALITY_EXCEEDED"
	QueryTimeout        Code = "QUERY_TIMEOUT"
	QueryTooLarge       Code = "QUERY_TOO_LARGE"
	ServiceUnavailable  Code = "SERVICE_UNAVAILABLE"
	StorageError        Code = "STORAGE_ERROR"
	InternalError       Code = "INTERNAL_ERROR"
)

var statusOf = map[Code]int{
	InvalidRequest:      http.StatusBadRequest,
	InvalidQuery:        http.StatusBadRequest,
	InvalidMetricName:   http.StatusBadRequest,
	Unauthorized:        http.StatusUnauthorized,
	TokenExpired:        http.StatusUnauthorized,
	InvalidToken:        http.StatusUnauthorized,
	Forbidden:           http.StatusForbidden,
	NotFound:            http.StatusNotFound,
	PayloadTooLarge:     http.StatusRequestEntityTooLarge,
	RateLimitExceeded:   http.StatusTooManyRequests,
	CardinalityExceeded: http.StatusUnprocessableEntity,
	QueryTimeout:        http.StatusGatewayTimeout,
	QueryTooLarge:       http.StatusUnprocessableEntity,
	ServiceUnavailable:  http.StatusServiceUnavailable,
	StorageError:        http.StatusInternalServerError,
	InternalError:       http.StatusInternalServerError,
}

// Status is the HTTP status that goes with a code.
func (c Code) Status() int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is an error a client is meant to read.
type Error struct {
	Code    Code
	Message string
	Details map[string]any
	// Status overrides Code.Status() when non-zero.
	Status int
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// HTTPStatus is the status to answer with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Code.Status()
}

// New returns an *Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetails returns e with details set.
func (e *Error) WithDetails(d map[string]any) *Error {
	e.Details = d
	return e
}

// As finds an *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Body is the JSON envelope of every non-2xx response.
type Body struct {
	Error BodyError `json:"error"`
}

// BodyError is the inner object of Body.
type BodyError struct {
	Code    Code           `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// ToBody turns any error into the envelope and status; errors that are not *Error are internal.
func ToBody(err error) (int, Body) {
	if e, ok := As(err); ok {
		return e.HTTPStatus(), Body{Error: BodyError{Code: e.Code, Message: e.Message, Details: e.Details}}
	}
	return http.StatusInternalServerError, Body{Error: BodyError{Code: InternalError, Message: "internal error"}}
}
